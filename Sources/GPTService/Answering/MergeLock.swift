import Foundation
import Shared

/// Merging across GPTService instances: the instance that takes a question's lock asks the
/// upstream and leaves the outcome in Redis for a short while; the others wait for it there.
/// The lock expires on its own, so a crashed leader delays its followers, never strands them.
struct MergeLock: Sendable {
    struct Published: Codable, Sendable, Equatable {
        var answer: String?
        var model: String?
        var finishReason: String?
        /// Set when the leader's call failed: `upstream_unavailable`, `overloaded`.
        var failure: String?
        var retryAfterSeconds: Int?
    }

    let redis: RedisClient
    let instance: String
    /// Longer than the longest upstream call, so a live leader never loses it.
    let lockTTL: Duration
    /// How long an outcome stays readable: long enough for every follower's next poll.
    let outcomeTTL: Duration = .seconds(30)
    let pollInterval: Duration = .milliseconds(20)

    /// Takes the lock and clears the outcome of an earlier call, so no follower of this call can
    /// read that one's outcome as its own.
    func acquire(_ keys: CacheKeys) async throws -> Bool {
        try await redis.run(Self.acquireScript, keys: [keys.lock, keys.outcome], arguments: [instance, String(lockTTL.milliseconds)]).int == 1
    }

    func publish(_ outcome: Published, keys: CacheKeys) async throws {
        let data = try JSONEncoder().encode(outcome)
        _ = try await redis.pipeline([
            RedisCommand(parts: [Array("SET".utf8), Array(keys.outcome.utf8), Array(data), Array("PX".utf8), Array(String(outcomeTTL.milliseconds).utf8)]),
        ]).map { try $0.throwingError() }
        try await release(keys)
    }

    /// Deletes the lock only while it is still ours.
    func release(_ keys: CacheKeys) async throws {
        _ = try await redis.run(Self.releaseScript, keys: [keys.lock], arguments: [instance])
    }

    enum Wait: Sendable, Equatable {
        case published(Published)
        /// The lock went without an outcome (the leader gave up before asking): ask again.
        case abandoned
        case timedOut
    }

    /// Polls for the leader's outcome until `timeout`.
    func waitForOutcome(_ keys: CacheKeys, timeout: Duration) async throws -> Wait {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let replies = try await redis.pipeline([RedisCommand("GET", [keys.outcome]), RedisCommand("EXISTS", [keys.lock])])
            if let bytes = replies[0].bytes, let outcome = try? JSONDecoder().decode(Published.self, from: Data(bytes)) {
                return .published(outcome)
            }
            if replies[1].int == 0 {
                // The outcome is written before the lock goes: one more look settles a race.
                if let bytes = try await redis.send("GET", keys.outcome).bytes,
                   let outcome = try? JSONDecoder().decode(Published.self, from: Data(bytes)) {
                    return .published(outcome)
                }
                return .abandoned
            }
            try await Task.sleep(for: pollInterval)
        }
        return .timedOut
    }

    private static let acquireScript = RedisScript("""
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          redis.call('DEL', KEYS[2])
          return 1
        end
        return 0
        """)

    private static let releaseScript = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)
}
