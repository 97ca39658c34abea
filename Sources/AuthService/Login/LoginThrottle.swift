import Crypto
import Foundation
import Shared

/// Login throttling, checked in Redis before any hashing.
///
/// Three sliding windows:
/// - per client address, every attempt: one address cannot spray passwords across accounts;
/// - per account and address, failures: one address cannot guess one account's password;
/// - per account, failures (ASVS: at most 100 an hour): a botnet cannot either.
///
/// An attempt counts as a failure from the moment it passes the check, so a burst of concurrent
/// guesses cannot all slip under a limit while their hashes run; a success takes it back. The
/// per-account window could lock the owner out, so it does not apply from an address the account
/// has logged in from before. Refused attempts are not counted, so a lockout ends one window
/// after the attacker stops.
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
        /// Password-reset requests per address, so one address cannot spend every account's budget.
        var forgotAddressLimit: Int
        var forgotAddressWindow: Duration
    }

    /// How long an address stays known after a successful login.
    static let knownAddressTTL: Duration = .seconds(30 * 86_400)

    let settings: Settings
    let redis: RedisClient
    let limiter: SlidingWindowLimiter

    init(settings: Settings, redis: RedisClient, clock: ServiceClock = .system) {
        self.settings = settings
        self.redis = redis
        self.limiter = SlidingWindowLimiter(redis: redis, clock: clock)
    }

    /// A login attempt that passed the throttle. It is counted as a failure from the start, so
    /// concurrent guesses cannot all slip under a limit; a success takes it back.
    struct Attempt: Sendable {
        fileprivate let account: String
        fileprivate let address: String
        fileprivate let id: String
    }

    enum Verdict: Sendable {
        case allowed(Attempt)
        case limited(retryAfter: Duration)
    }

    func checkLogin(email: String, address: String) async throws -> Verdict {
        let account = Self.accountKey(email)
        let address = ClientNetwork.key(address)
        let known = try await redis.send("EXISTS", Self.knownKey(account, address)).int == 1
        var rules = [
            SlidingWindowLimiter.Rule(key: "auth:throttle:addr:\(address)", limit: settings.addressLimit, window: settings.addressWindow),
            SlidingWindowLimiter.Rule(key: pairKey(account, address), limit: settings.pairFailureLimit, window: settings.pairWindow),
        ]
        if !known {
            rules.append(SlidingWindowLimiter.Rule(key: accountKey(account), limit: settings.accountFailureLimit, window: settings.accountWindow))
        }
        let attempt = Attempt(account: account, address: address, id: UUID().uuidString)
        switch try await limiter.acquire(rules, member: attempt.id) {
        case .allowed: return .allowed(attempt)
        case .limited(_, let retryAfter): return .limited(retryAfter: retryAfter)
        }
    }

    /// Takes back the attempt's failure marks, forgets this address's earlier failures on the
    /// account, and remembers the address as the owner's.
    func succeeded(_ attempt: Attempt) async throws {
        _ = try await redis.pipeline([
            RedisCommand("DEL", [pairKey(attempt.account, attempt.address)]),
            RedisCommand("ZREM", [accountKey(attempt.account), attempt.id]),
            RedisCommand("SET", [Self.knownKey(attempt.account, attempt.address), "1", "PX", String(Self.knownAddressTTL.milliseconds)]),
        ])
    }

    /// Takes back an attempt that was never decided (the hash pool shed it).
    func forget(_ attempt: Attempt) async throws {
        _ = try await redis.pipeline([
            RedisCommand("ZREM", [pairKey(attempt.account, attempt.address), attempt.id]),
            RedisCommand("ZREM", [accountKey(attempt.account), attempt.id]),
        ])
    }

    /// Signups per address: each one costs a hash and a mail.
    func checkSignup(address: String) async throws -> Duration? {
        try await check("auth:throttle:signup:\(ClientNetwork.key(address))", settings.signupAddressLimit, settings.signupAddressWindow)
    }

    /// Password-reset requests per client address.
    func checkForgot(address: String) async throws -> Duration? {
        try await check("auth:throttle:forgot:\(ClientNetwork.key(address))", settings.forgotAddressLimit, settings.forgotAddressWindow)
    }

    /// Verification and reset mails per account, so nobody can mail-bomb an address through us:
    /// the wait before another may be sent, or nil when this one may (and is counted). Each kind
    /// has its own budget, so exhausting one cannot block the other.
    func checkMail(userID: String, purpose: UserStore.Purpose) async throws -> Duration? {
        try await check("auth:throttle:mail:\(purpose.rawValue):\(userID)", settings.mailLimit, settings.mailWindow)
    }

    /// One window: the wait before another attempt, or nil when this one may go ahead (and is counted).
    private func check(_ key: String, _ limit: Int, _ window: Duration) async throws -> Duration? {
        let rule = SlidingWindowLimiter.Rule(key: key, limit: limit, window: window)
        if case .limited(_, let retryAfter) = try await limiter.acquire([rule]) { return retryAfter }
        return nil
    }

    private func accountKey(_ account: String) -> String { "auth:throttle:acct:\(account)" }

    private func pairKey(_ account: String, _ address: String) -> String { "auth:throttle:pair:\(account):\(address)" }

    private static func knownKey(_ account: String, _ address: String) -> String { "auth:known:\(account):\(address)" }

    /// Emails are hashed into keys: Redis holds no address book.
    static func accountKey(_ email: String) -> String {
        SHA256.hash(data: Data(email.utf8)).prefix(16).hexString
    }
}
