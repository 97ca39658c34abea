import Foundation
import HummingbirdBcrypt
import Testing
@testable import AuthService

@Suite struct PasswordHasherTests {
    @Test func hashesAndVerifiesAndTheDummyNeverMatches() async throws {
        let hasher = PasswordHasher(settings: .init(cost: 4, threads: 2, maxWait: .seconds(5)))
        let hash = try await hasher.hash("correct horse")
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(try await hasher.verify("correct horse", against: hash))
        #expect(try await hasher.verify("wrong horse", against: hash) == false)
        #expect(try await hasher.verify("correct horse", against: nil) == false)
        try await hasher.shutdown()
    }

    /// A dummy that bcrypt could not parse would be refused before any hashing, and an unknown
    /// email would answer at once. So the dummy must be, character for character, what bcrypt
    /// reads as a hash at its cost: the work it causes is then a full check by construction,
    /// which the suite asserts without timing it (timings are the auth benchmark's).
    @Test(arguments: [4, 6, 10, 12])
    func theDummyHashIsAHashBcryptReadsAtItsCost(cost: Int) throws {
        let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for _ in 0..<50 {
            let dummy = PasswordHasher.dummyHash(cost: cost)
            let prefix = String(format: "$2b$%02d$", cost)
            #expect(dummy.count == 60 && dummy.hasPrefix(prefix), "\(dummy)")
            let body = dummy.dropFirst(prefix.count)
            #expect(body.count == 53 && body.allSatisfy(alphabet.contains), "\(dummy)")
        }
        // Checking against one never matches (at the cheapest cost: the suite shares two cores).
        if cost == 4 { #expect(Bcrypt.verify("anything", hash: PasswordHasher.dummyHash(cost: 4)) == false) }
        // And real hashes look the same, so the grammar above is bcrypt's own.
        let real = Bcrypt.hash("anything", cost: 4)
        #expect(real.count == 60 && real.hasPrefix("$2b$04$") && real.dropFirst(7).allSatisfy(alphabet.contains))
        #expect(Bcrypt.verify("anything", hash: real))
    }

    /// After `BCRYPT_COST` is raised, accounts still hashed at the old cost answer no sooner than
    /// unknown emails (which pay the new cost on a dummy): they wait out the rest of a full-cost
    /// hash. After it is lowered, unknown emails are checked against a dummy at the cost of the
    /// stronger stored hashes. Asserted by the work scheduled, not by a clock (the auth benchmark
    /// measures the times).
    @Test func existingAndUnknownAccountsAnswerAlikeAcrossACostChange() async throws {
        let raised = PasswordHasher(settings: .init(cost: 9, threads: 1, maxWait: .seconds(30), lowersPriority: false))
        raised.noteTime(.milliseconds(512), cost: 9)  // one cost unit is a millisecond here
        #expect(raised.padding(after: .milliseconds(16), storedCost: 5) == .milliseconds(496))
        #expect(raised.padding(after: .milliseconds(600), storedCost: 5) == .zero)
        #expect(raised.padding(after: .milliseconds(16), storedCost: 9) == .zero)
        #expect(PasswordHasher.cost(of: raised.dummyHash) == 9)
        let old = Bcrypt.hash("correct horse", cost: 5)
        #expect(try await raised.verify("correct horse", against: old), "padding changes the time, never the answer")
        #expect(try await raised.verify("wrong", against: old) == false)
        try await raised.shutdown()

        let lowered = PasswordHasher(settings: .init(cost: 5, threads: 1, maxWait: .seconds(30), lowersPriority: false))
        #expect(PasswordHasher.cost(of: lowered.dummyHash) == 5)
        lowered.noteStoredCost(9)  // what the service reads from auth.users at start
        #expect(lowered.answerCost == 9 && PasswordHasher.cost(of: lowered.dummyHash) == 9)
        lowered.noteStoredCost(7)  // a weaker one seen later changes nothing
        #expect(lowered.answerCost == 9)
        #expect(try await lowered.hash("x").hasPrefix("$2b$05$"), "new hashes keep the configured cost")
        try await lowered.shutdown()
    }

    /// Far more work than the pool can do within the deadline: the excess is refused at once, and
    /// no call waits much longer than the deadline plus its own work. The work sleeps instead of
    /// hashing, so the figures depend little on how busy the machine is.
    @Test func overloadIsShedInsteadOfQueued() async throws {
        let step = Duration.milliseconds(50), maxWait = Duration.milliseconds(200)
        // At normal priority: starving a nice-10 thread is what the rest of the suite would do.
        let hasher = PasswordHasher(settings: .init(cost: 4, threads: 1, maxWait: maxWait, lowersPriority: false))
        let work: @Sendable () -> Bool = {
            Thread.sleep(forTimeInterval: 0.05)
            return true
        }
        // Teaches the hasher how long one piece of work takes (on a busy machine some may be shed).
        for _ in 0..<10 { _ = try? await hasher.execute(operation: "test", work) }
        let clock = ContinuousClock()
        let outcomes = try await withThrowingTaskGroup(of: (Bool, Duration).self) { group in
            for _ in 0..<40 {
                group.addTask {
                    let began = clock.now
                    do {
                        _ = try await hasher.execute(operation: "test", work)
                        return (true, clock.now - began)
                    } catch is PasswordHasher.Overloaded {
                        return (false, clock.now - began)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let served = outcomes.filter(\.0), shed = outcomes.filter { !$0.0 }
        // About maxWait / step calls fit in the queue behind the one running; the rest are refused.
        #expect(served.count >= 1 && served.count <= 8, "\(served.count) served")
        #expect(shed.count >= 30)
        #expect(shed.map(\.1).sorted()[shed.count / 2] < .milliseconds(20), "most refusals are immediate")
        // Queueing all 40 would take 2 s for the last; shedding bounds every wait near maxWait plus
        // one piece of work, with room for a loaded machine's pauses.
        #expect(outcomes.map(\.1).max()! < maxWait + step * 2 + .seconds(1))
        try await hasher.shutdown()
    }
}
