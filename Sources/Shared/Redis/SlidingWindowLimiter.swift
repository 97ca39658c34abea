import Foundation

/// Sliding-window limits in Redis: each key is a sorted set of attempt times, trimmed to the
/// window on every check, so a limit of N per window never lets N+1 through in any window and
/// frees up exactly when the oldest attempt leaves it (no fixed-window bursts at the boundary).
public struct SlidingWindowLimiter: Sendable {
    public struct Rule: Sendable {
        public var key: String
        public var limit: Int
        public var window: Duration

        public init(key: String, limit: Int, window: Duration) {
            self.key = key
            self.limit = limit
            self.window = window
        }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused by the rule at `ruleIndex`; it frees up after `retryAfter`.
        case limited(ruleIndex: Int, retryAfter: Duration)
    }

    let redis: RedisClient
    /// The windows' time: the scores are written from it, so the rule never reads Redis's clock.
    let clock: ServiceClock

    public init(redis: RedisClient, clock: ServiceClock = .system) {
        self.redis = redis
        self.clock = clock
    }

    /// Checks every rule in one atomic step; when all allow, counts the attempt (as `member`, which
    /// a caller may later take back with ZREM) under every rule. A refused attempt is never
    /// counted, so hammering a limit does not extend it.
    public func acquire(_ rules: [Rule], member: String = UUID().uuidString) async throws -> Decision {
        guard !rules.isEmpty else { return .allowed }
        var arguments = [String(clock.date.millisecondsSince1970), member]
        for rule in rules {
            arguments += [String(rule.limit), String(rule.window.milliseconds)]
        }
        let reply = try await redis.run(Self.acquireScript, keys: rules.map(\.key), arguments: arguments).array ?? []
        guard reply.count == 2, let index = reply[0].int, let wait = reply[1].int else {
            throw RedisError.protocolError("unexpected limiter reply")
        }
        return index == 0 ? .allowed : .limited(ruleIndex: index - 1, retryAfter: .milliseconds(max(wait, 1)))
    }

    /// KEYS: one sorted set per rule. ARGV: now, a unique member, then limit and window for each
    /// rule. Returns {0, 0} when allowed, else {rule number, milliseconds to wait}.
    private static let acquireScript = RedisScript("""
        local now = tonumber(ARGV[1])
        for i, key in ipairs(KEYS) do
          local limit = tonumber(ARGV[2 * i + 1])
          local window = tonumber(ARGV[2 * i + 2])
          redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
          if redis.call('ZCARD', key) >= limit then
            local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
            local wait = window
            if oldest[2] then wait = tonumber(oldest[2]) + window - now end
            return {i, wait}
          end
        end
        for i, key in ipairs(KEYS) do
          redis.call('ZADD', key, now, ARGV[2])
          redis.call('PEXPIRE', key, ARGV[2 * i + 2])
        end
        return {0, 0}
        """)
}
