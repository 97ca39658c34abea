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
        // Interleaved, so a burst of load elsewhere falls on both sides alike.
        let clock = ContinuousClock()
        var dummyTime = Duration.zero, realTime = Duration.zero
        for _ in 0..<20 {
            dummyTime += clock.measure { _ = Bcrypt.verify("anything", hash: dummy) }
            realTime += clock.measure { _ = Bcrypt.verify("anything", hash: real) }
        }
        #expect(dummyTime > realTime / 2 && dummyTime < realTime * 2)
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
