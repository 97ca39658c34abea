import Foundation
import NIOConcurrencyHelpers

/// Per-user "not before" marks in Redis: an access token issued before its user's mark is refused
/// by every service, which is how a ban, a logout-all or a password reset ends live access tokens
/// at once instead of when they expire.
///
/// Marks are cached per process for `cacheTTL`, so a check costs a Redis round trip at most once
/// per user per `cacheTTL`; that is also the longest a revoked token can still pass.
public final class RevocationList: Sendable {
    private struct Entry {
        var markMilliseconds: Int64?
        var fetchedAt: ContinuousClock.Instant
    }

    private let redis: RedisClient
    private let cacheTTL: Duration
    private let clock: ServiceClock
    private let cache = NIOLockedValueBox([String: Entry]())
    /// The cache is cleared when it grows past this many users; a clear only costs refetches.
    private let maxCachedUsers = 100_000

    public init(redis: RedisClient, cacheTTL: Duration, clock: ServiceClock = .system) {
        self.redis = redis
        self.cacheTTL = cacheTTL
        self.clock = clock
    }

    /// The Redis key of `userID`'s mark (milliseconds since 1970). AuthService's session scripts
    /// read it too, so a session cannot start or rotate past a revocation.
    public static func key(userID: String) -> String { "auth:not-before:\(userID)" }

    /// Whether `identity`'s token was issued before its user's mark.
    public func isRevoked(_ identity: Identity) async throws -> Bool {
        let now = clock.now
        let cached = cache.withLockedValue { $0[identity.userID] }
        let mark: Int64?
        if let cached, now - cached.fetchedAt < cacheTTL {
            mark = cached.markMilliseconds
        } else {
            mark = try await redis.send("GET", Self.key(userID: identity.userID)).int.map(Int64.init)
            cache.withLockedValue { cache in
                if cache.count >= maxCachedUsers { cache.removeAll(keepingCapacity: true) }
                cache[identity.userID] = Entry(markMilliseconds: mark, fetchedAt: now)
            }
        }
        guard let mark else { return false }
        return identity.issuedAtMilliseconds < mark
    }

    /// Refuses every token of `userID` issued before now. The mark only has to outlive the tokens
    /// it refuses, so it expires after `tokenLifetime` (plus a minute of clock skew).
    public func revokeTokens(of userID: String, tokenLifetime: Duration) async throws {
        let now = Int64((clock.date.timeIntervalSince1970 * 1000).rounded(.up))
        let keep = tokenLifetime + .seconds(60)
        // Never move a mark backwards (two revocations racing).
        _ = try await redis.run(Self.raise, keys: [Self.key(userID: userID)], arguments: [String(now), String(keep.milliseconds)])
        cache.withLockedValue { $0[userID] = Entry(markMilliseconds: now, fetchedAt: clock.now) }
    }

    /// Caches a mark this process has just written by other means (AuthService's session end).
    public func remember(mark: Int64, of userID: String) {
        cache.withLockedValue { cache in
            let current = cache[userID]?.markMilliseconds ?? 0
            cache[userID] = Entry(markMilliseconds: max(mark, current), fetchedAt: clock.now)
        }
    }

    private static let raise = RedisScript("""
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[1]) > current then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        end
        return 0
        """)
}
