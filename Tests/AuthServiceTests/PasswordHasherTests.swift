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

    @Test func theDummyHashCostsAFullCheck() async throws {
        let dummy = PasswordHasher.dummyHash(cost: 6)
        #expect(dummy.count == 60 && dummy.hasPrefix("$2b$06$"))
        let real = Bcrypt.hash("anything", cost: 6)
        #expect(Bcrypt.verify("anything", hash: dummy) == false)
        // Interleaved, so load elsewhere falls on both sides alike, and compared by medians, so a
        // preempted check or two on one side cannot decide it.
        let clock = ContinuousClock()
        var dummyTimes: [Duration] = [], realTimes: [Duration] = []
        for _ in 0..<21 {
            dummyTimes.append(clock.measure { _ = Bcrypt.verify("anything", hash: dummy) })
            realTimes.append(clock.measure { _ = Bcrypt.verify("anything", hash: real) })
        }
        let dummyTime = dummyTimes.sorted()[10], realTime = realTimes.sorted()[10]
        #expect(dummyTime > realTime / 2 && dummyTime < realTime * 2, "dummy \(dummyTime) vs real \(realTime)")
    }

    /// After `BCRYPT_COST` is raised, accounts still hashed at the old cost answer no faster than
    /// unknown emails (which pay the new cost on a dummy); after it is lowered, unknown emails pay
    /// the cost of the stronger stored hashes. Only lower bounds are asserted: padding is a sleep.
    @Test func existingAndUnknownAccountsAnswerAlikeAcrossACostChange() async throws {
        let clock = ContinuousClock()
        func median(_ times: [Duration]) -> Duration { times.sorted()[times.count / 2] }

        let raised = PasswordHasher(settings: .init(cost: 9, threads: 1, maxWait: .seconds(30), lowersPriority: false))
        let old = Bcrypt.hash("correct horse", cost: 5)
        var unknown: [Duration] = [], existing: [Duration] = []
        for _ in 0..<5 {
            unknown.append(try await clock.measure { _ = try await raised.verify("wrong", against: nil) })
            existing.append(try await clock.measure { _ = try await raised.verify("wrong", against: old) })
        }
        // Unpadded, a cost-5 check takes 1/16 of a cost-9 one. The padding is a sleep sized from
        // the hasher's measured speed, which load on the other core does not stretch as it
        // stretches the real hash: the bound leaves room for that (a busy CI machine measured
        // 0.39) and still catches no padding (0.06).
        #expect(median(existing) > median(unknown) * 0.25, "existing \(median(existing)) vs unknown \(median(unknown))")
        #expect(try await raised.verify("correct horse", against: old), "padding changes the time, never the answer")
        try await raised.shutdown()

        let lowered = PasswordHasher(settings: .init(cost: 5, threads: 1, maxWait: .seconds(30), lowersPriority: false))
        let strong = Bcrypt.hash("correct horse", cost: 9)
        lowered.noteStoredCost(9)  // what the service reads from auth.users at start
        #expect(lowered.answerCost == 9)
        unknown = []; existing = []
        for _ in 0..<5 {
            unknown.append(try await clock.measure { _ = try await lowered.verify("wrong", against: nil) })
            existing.append(try await clock.measure { _ = try await lowered.verify("wrong", against: strong) })
        }
        #expect(median(unknown) > median(existing) * 0.7, "unknown \(median(unknown)) vs existing \(median(existing))")
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
