import Foundation
import Shared

/// Each subject's upstream calls today, counted in Redis by one atomic script: check and count
/// in one step, so concurrent requests can never take the count past the limit. The key is named
/// for the day and expires with the first count, shortly after the day ends.
struct DailyQuota: Sendable {
    struct Status: Sendable, Equatable {
        var limit: Int?
        var used: Int
        var resetAt: Date
        var remaining: Int? { limit.map { max(0, $0 - used) } }
    }

    enum Decision: Sendable, Equatable {
        case counted(Status)
        case exceeded(Status)
    }

    let redis: RedisClient
    let namespace: String
    let policy: QuotaPolicy
    let day: QuotaDay

    func key(_ subject: QuotaSubject, day name: String) -> String { "\(namespace):quota:\(name):\(subject.key)" }

    func status(of subject: QuotaSubject, now: Date = Date()) async throws -> Status {
        let read = statusRead(of: subject, now: now)
        return read.status(from: try await redis.send(read.command))
    }

    /// The read behind `status`, for a caller that sends it in a pipeline of its own (a cache hit
    /// learns its answer and the quota headers in one round trip).
    struct StatusRead: Sendable {
        let command: RedisCommand
        let limit: Int?
        let resetAt: Date

        func status(from reply: RedisValue) -> Status {
            Status(limit: limit, used: reply.string.flatMap(Int.init) ?? 0, resetAt: resetAt)
        }
    }

    func statusRead(of subject: QuotaSubject, now: Date = Date()) -> StatusRead {
        let (name, resetAt) = day.window(at: now)
        return StatusRead(command: RedisCommand("GET", [key(subject, day: name)]), limit: policy.limit(for: subject.tier), resetAt: resetAt)
    }

    /// Counts one upstream call if the subject has one left today.
    func take(_ subject: QuotaSubject, now: Date = Date()) async throws -> Decision {
        let (name, resetAt) = day.window(at: now)
        let limit = policy.limit(for: subject.tier)
        // An hour past the reset, so a clock a little behind never sees the key vanish early.
        let expireAt = Int(resetAt.timeIntervalSince1970) + 3600
        let reply = try await redis.run(Self.takeScript, keys: [key(subject, day: name)],
                                        arguments: [String(limit ?? -1), String(expireAt)]).array ?? []
        guard reply.count == 2, let allowed = reply[0].int, let used = reply[1].int else {
            throw RedisError.protocolError("unexpected quota reply")
        }
        let status = Status(limit: limit, used: used, resetAt: resetAt)
        return allowed == 1 ? .counted(status) : .exceeded(status)
    }

    /// Gives back a call that never reached the upstream or failed there.
    func refund(_ subject: QuotaSubject, counted status: Status) async throws {
        let (name, _) = day.window(at: status.resetAt.addingTimeInterval(-1))
        _ = try await redis.run(Self.refundScript, keys: [key(subject, day: name)], arguments: [])
    }

    /// KEYS: the day's count. ARGV: the limit (-1: none), when the key expires (Unix seconds).
    /// Returns {1, used} when counted, {0, used} when the limit is reached (and nothing counted).
    private static let takeScript = RedisScript("""
        local limit = tonumber(ARGV[1])
        local used = tonumber(redis.call('GET', KEYS[1]) or '0')
        if limit >= 0 and used >= limit then return {0, used} end
        used = redis.call('INCR', KEYS[1])
        if used == 1 then redis.call('EXPIREAT', KEYS[1], ARGV[2]) end
        return {1, used}
        """)

    private static let refundScript = RedisScript("""
        local used = tonumber(redis.call('GET', KEYS[1]) or '0')
        if used > 0 then return redis.call('DECR', KEYS[1]) end
        return 0
        """)
}
