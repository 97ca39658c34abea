import Crypto
import Foundation
import Shared

/// Login throttling, checked in Redis before any hashing.
///
/// Three sliding windows:
/// - per client address, every attempt: one address cannot spray passwords across accounts;
/// - per account and address, failures only: one address cannot guess one account's password;
/// - per account, failures only (ASVS: at most 100 an hour): a botnet cannot either.
///
/// The last one could lock the owner out, so it does not apply from an address the account has
/// logged in from before: an attacker elsewhere cannot keep the owner out of their own account.
/// Refused attempts are not counted, so a lockout ends one window after the attacker stops.
struct LoginThrottle: Sendable {
    struct Settings: Sendable {
        var addressLimit: Int
        var addressWindow: Duration
        var pairFailureLimit: Int
        var pairWindow: Duration
        var accountFailureLimit: Int
        var accountWindow: Duration
        var signupAddressLimit: Int
        var signupAddressWindow: Duration
        /// Verification and reset mails per account.
        var mailLimit: Int
        var mailWindow: Duration
    }

    /// How long an address stays known after a successful login.
    static let knownAddressTTL: Duration = .seconds(30 * 86_400)

    let settings: Settings
    let redis: RedisClient
    let limiter: SlidingWindowLimiter

    init(settings: Settings, redis: RedisClient) {
        self.settings = settings
        self.redis = redis
        self.limiter = SlidingWindowLimiter(redis: redis)
    }

    /// The wait before another attempt, or nil when this one may go ahead (and is counted).
    func checkLogin(email: String, address: String) async throws -> Duration? {
        let account = Self.accountKey(email)
        let known = try await redis.send("EXISTS", Self.knownKey(account, address)).int == 1
        var rules = [
            SlidingWindowLimiter.Rule(key: "auth:throttle:addr:\(address)", limit: settings.addressLimit, window: settings.addressWindow),
            failureRule(pairKey(account, address), settings.pairFailureLimit, settings.pairWindow),
        ]
        if !known {
            rules.append(failureRule("auth:throttle:acct:\(account)", settings.accountFailureLimit, settings.accountWindow))
        }
        if case .limited(_, let retryAfter) = try await limiter.acquire(rules) { return retryAfter }
        return nil
    }

    func recordFailure(email: String, address: String) async throws {
        let account = Self.accountKey(email)
        try await limiter.record([
            failureRule(pairKey(account, address), settings.pairFailureLimit, settings.pairWindow),
            failureRule("auth:throttle:acct:\(account)", settings.accountFailureLimit, settings.accountWindow),
        ])
    }

    /// Forgets this address's failures on the account and remembers the address as the owner's.
    func recordSuccess(email: String, address: String) async throws {
        let account = Self.accountKey(email)
        _ = try await redis.pipeline([
            RedisCommand("DEL", [pairKey(account, address)]),
            RedisCommand("SET", [Self.knownKey(account, address), "1", "PX", String(Self.knownAddressTTL.milliseconds)]),
        ])
    }

    /// Signups per address: each one costs a hash and a mail.
    func checkSignup(address: String) async throws -> Duration? {
        let rule = SlidingWindowLimiter.Rule(key: "auth:throttle:signup:\(address)", limit: settings.signupAddressLimit, window: settings.signupAddressWindow)
        if case .limited(_, let retryAfter) = try await limiter.acquire([rule]) { return retryAfter }
        return nil
    }

    /// Verification and reset mails per account, so nobody can mail-bomb an address through us:
    /// the wait before another may be sent, or nil when this one may (and is counted).
    func checkMail(userID: String) async throws -> Duration? {
        let rule = SlidingWindowLimiter.Rule(key: "auth:throttle:mail:\(userID)", limit: settings.mailLimit, window: settings.mailWindow)
        if case .limited(_, let retryAfter) = try await limiter.acquire([rule]) { return retryAfter }
        return nil
    }

    private func failureRule(_ key: String, _ limit: Int, _ window: Duration) -> SlidingWindowLimiter.Rule {
        SlidingWindowLimiter.Rule(key: key, limit: limit, window: window, counts: false)
    }

    private func pairKey(_ account: String, _ address: String) -> String { "auth:throttle:pair:\(account):\(address)" }

    private static func knownKey(_ account: String, _ address: String) -> String { "auth:known:\(account):\(address)" }

    /// Emails are hashed into keys: Redis holds no address book.
    static func accountKey(_ email: String) -> String {
        SHA256.hash(data: Data(email.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
