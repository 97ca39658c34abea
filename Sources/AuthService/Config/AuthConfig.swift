import Configuration
import Crypto
import Foundation
import Shared

/// The settings only AuthService reads (README lists them with their environment variables).
struct AuthConfig: Sendable {
    /// Lifetime of an access token (`ACCESS_TOKEN_TTL_SECONDS`).
    var accessTokenTTL: Duration
    /// How long an instance keeps signing with the key it last read (`SIGNING_KEY_CACHE_SECONDS`).
    var signingKeyCacheTTL: Duration
    /// Seals the signing keys in Postgres (`SIGNING_KEY_SECRET`); without it they are stored plain.
    var signingKeySecret: String?
    /// A refresh token unused this long expires (`REFRESH_IDLE_SECONDS`).
    var refreshIdleTTL: Duration
    /// A session ends this long after login however often it refreshes (`REFRESH_ABSOLUTE_SECONDS`).
    var refreshAbsoluteTTL: Duration
    /// A rotated refresh token presented again within this window gets the same new pair (two
    /// tabs refreshing at once); after it, the reuse revokes the whole family (`REFRESH_GRACE_SECONDS`).
    var refreshGrace: Duration
    /// How often recorded session ends are (re)applied to Redis: the bound on a committed ban or
    /// reset taking effect once Redis answers again.
    var sessionEndReconcileInterval: Duration
    /// Sessions per user; logging in beyond this ends the oldest (`MAX_SESSIONS_PER_USER`).
    var maxSessionsPerUser: Int

    var passwords: PasswordHasher.Settings
    var throttle: LoginThrottle.Settings

    /// Email verification and password reset links (`VERIFY_TOKEN_TTL_SECONDS`, `RESET_TOKEN_TTL_SECONDS`).
    var verifyTokenTTL: Duration
    var resetTokenTTL: Duration
    /// Where the links in mails point (`PUBLIC_BASE_URL`).
    var publicBaseURL: String
    /// Seals those links for their stay in the jobs table (`MAIL_LINK_SECRET`, shared with the
    /// email worker alone).
    var mailLinkSecret: String?

    /// The sealer for the signing keys, when a secret is set.
    func keySealer() throws -> KeySealer? {
        try signingKeySecret.map(KeySealer.init(secret:))
    }

    /// The seal for mailed links: required, since a link is as good as the account.
    func mailLinkSeal() throws -> MailLinkSeal {
        guard let seal = try MailLinkSeal(configuredSecret: mailLinkSecret) else {
            throw ConfigurationError("MAIL_LINK_SECRET is not set: verification and reset links are sealed with it before they are queued")
        }
        return seal
    }

    /// Signs the account search's page cursors, with a key derived from `MAIL_LINK_SECRET`, which
    /// every instance holds already: a cursor can only move an administrator within a search
    /// they may read whole, so it needs no secret of its own, only the same one everywhere.
    func pageCursor() throws -> PageCursor {
        guard let secret = mailLinkSecret, !secret.isEmpty else {
            throw ConfigurationError("MAIL_LINK_SECRET is not set: the account search signs its page cursors with a key derived from it")
        }
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), info: Data("auth.page.cursor".utf8),
                                         outputByteCount: 32)
        return key.withUnsafeBytes { PageCursor(secret: Data($0)) }
    }

    init(reader: ConfigReader) {
        accessTokenTTL = .seconds(reader.int(forKey: "access.token.ttl.seconds", default: 600))
        // At most a minute: a retired key stays published for a token lifetime plus one minute.
        signingKeyCacheTTL = .seconds(min(60, reader.int(forKey: "signing.key.cache.seconds", default: 30)))
        signingKeySecret = reader.string(forKey: "signing.key.secret", isSecret: true)
        mailLinkSecret = reader.string(forKey: "mail.link.secret", isSecret: true)
        refreshIdleTTL = .seconds(reader.int(forKey: "refresh.idle.seconds", default: 14 * 86_400))
        refreshAbsoluteTTL = .seconds(reader.int(forKey: "refresh.absolute.seconds", default: 30 * 86_400))
        refreshGrace = .seconds(reader.int(forKey: "refresh.grace.seconds", default: 10))
        sessionEndReconcileInterval = .milliseconds(max(100, reader.int(forKey: "session.end.reconcile.ms", default: 5000)))
        maxSessionsPerUser = max(1, reader.int(forKey: "max.sessions.per.user", default: 50))
        passwords = PasswordHasher.Settings(
            cost: min(max(reader.int(forKey: "bcrypt.cost", default: 10), 4), 16),
            threads: max(1, reader.int(forKey: "bcrypt.threads", default: ProcessInfo.processInfo.activeProcessorCount)),
            maxWait: .milliseconds(max(1, reader.int(forKey: "bcrypt.max.wait.ms", default: 1000))),
            maxRetryAfter: .seconds(max(1, reader.int(forKey: "bcrypt.max.retry.after.seconds", default: 60))))
        throttle = LoginThrottle.Settings(
            addressLimit: reader.int(forKey: "login.address.limit", default: 60),
            addressWindow: .seconds(reader.int(forKey: "login.address.window.seconds", default: 60)),
            pairFailureLimit: reader.int(forKey: "login.pair.failure.limit", default: 5),
            pairWindow: .seconds(reader.int(forKey: "login.pair.window.seconds", default: 900)),
            accountFailureLimit: reader.int(forKey: "login.account.failure.limit", default: 100),
            accountWindow: .seconds(reader.int(forKey: "login.account.window.seconds", default: 3600)),
            signupAddressLimit: reader.int(forKey: "signup.address.limit", default: 20),
            signupAddressWindow: .seconds(reader.int(forKey: "signup.address.window.seconds", default: 3600)),
            mailLimit: reader.int(forKey: "mail.per.account.limit", default: 5),
            mailWindow: .seconds(reader.int(forKey: "mail.per.account.window.seconds", default: 3600)),
            forgotAddressLimit: reader.int(forKey: "forgot.address.limit", default: 10),
            forgotAddressWindow: .seconds(reader.int(forKey: "forgot.address.window.seconds", default: 3600)))
        verifyTokenTTL = .seconds(reader.int(forKey: "verify.token.ttl.seconds", default: 86_400))
        resetTokenTTL = .seconds(reader.int(forKey: "reset.token.ttl.seconds", default: 3600))
        publicBaseURL = reader.string(forKey: "public.base.url", default: "http://127.0.0.1:8080")
    }
}
