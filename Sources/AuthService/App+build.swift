import Configuration
import Foundation
import Hummingbird
import Shared

/// Composes AuthService; `main` and the tests both start here (tests with a clock they move).
func buildApplication(reader: ConfigReader, clock: ServiceClock = .system) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "auth", defaultPort: 8081, reader: reader), clock: clock)
    let config = AuthConfig(reader: reader)
    let database = runtime.database
    let logger = runtime.logger

    let keys = SigningKeyStore(database: database, logger: logger, sealer: try config.keySealer())
    if config.signingKeySecret == nil {
        logger.warning("SIGNING_KEY_SECRET is not set: signing keys are stored unencrypted in auth.signing_keys")
    }
    let signer = TokenSigner(keys: keys, issuer: runtime.config.jwtIssuer, audience: runtime.config.jwtAudience,
                             ttl: config.accessTokenTTL, keyCacheTTL: config.signingKeyCacheTTL, clock: clock)
    let users = UserStore(database: database, logger: logger, clock: clock)
    let hasher = PasswordHasher(settings: config.passwords)
    let throttle = LoginThrottle(settings: config.throttle, redis: runtime.redis, clock: clock)
    let refreshTokens = RefreshTokenStore(redis: runtime.redis, settings: .init(
        idleTTL: config.refreshIdleTTL, absoluteTTL: config.refreshAbsoluteTTL, grace: config.refreshGrace,
        maxSessionsPerUser: config.maxSessionsPerUser), clock: clock)
    let ending = SessionEnd(database: database, redis: runtime.redis, revocations: runtime.revocations,
                            tokenLifetime: config.accessTokenTTL, logger: logger)
    let sessions = Sessions(signer: signer, refreshTokens: refreshTokens, revocations: runtime.revocations, users: users, ending: ending)
    let jobs = JobQueue(database: database, logger: logger)
    let background = BackgroundWork(logger: runtime.logger)
    let rehasher = PasswordRehasher(hasher: hasher, users: users, logger: logger)

    let router = runtime.makeRouter()
    let auth = router.group("api/auth")
    let signedIn = auth.group().add(middleware: runtime.authMiddleware())
    JWKSController(keys: keys, maxTokenAge: config.accessTokenTTL).addRoutes(to: auth)
    let cookie = RefreshCookie(publicBaseURL: config.publicBaseURL, corsOrigins: runtime.config.corsOrigins, lifetime: config.refreshIdleTTL)
    SessionController(users: users, hasher: hasher, throttle: throttle, sessions: sessions, jobs: jobs, rehasher: rehasher, cookie: cookie)
        .addRoutes(to: auth, authenticated: signedIn)
    let linkSeal = try config.mailLinkSeal()
    let confirmation = PasswordConfirmation(users: users, hasher: hasher, throttle: throttle)
    AccountController(
        registration: Registration(database: database, users: users, hasher: hasher, throttle: throttle, config: config,
                                   linkSeal: linkSeal, logger: logger),
        recovery: PasswordRecovery(database: database, users: users, hasher: hasher, throttle: throttle, ending: ending,
                                   config: config, linkSeal: linkSeal, logger: logger),
        change: PasswordChange(users: users, hasher: hasher, confirmation: confirmation, ending: ending, sessions: sessions, logger: logger),
        cookie: cookie, throttle: throttle, background: background, logger: logger)
        .addRoutes(to: auth, authenticated: signedIn)
    UsersController(users: users, profile: Profile(database: database, users: users, logger: logger),
                    deletion: AccountDeletion(database: database, users: users, confirmation: confirmation, ending: ending, logger: logger))
        .addRoutes(to: router.group("api/users").add(middleware: runtime.authMiddleware()))
    AdminController(moderation: Moderation(users: users, ending: ending, jobs: jobs, logger: logger), cursors: try config.pageCursor())
        .addRoutes(to: router.group("api/admin").add(middleware: runtime.authMiddleware()).add(middleware: RequireAdminMiddleware()))

    let cleanup = PeriodicTask("deleting expired tokens", every: .seconds(3600), logger: logger) { try await users.deleteExpiredTokens() }
    // Unknown emails must answer as slowly as the slowest stored hash (see PasswordHasher).
    let storedCosts = PeriodicTask("reading stored password costs", every: .seconds(600), startsNow: true, logger: logger) {
        if let cost = try await users.highestStoredCost() { hasher.noteStoredCost(cost) }
    }
    let reconciler = PeriodicTask("re-applying session ends", every: config.sessionEndReconcileInterval, logger: logger) { try await ending.reconcile() }
    return try runtime.makeApplication(
        router: router, services: [hasher, cleanup, storedCosts, reconciler, background, rehasher],
        migrations: [try MigrationSet(schema: "auth", bundle: resourceBundle)], document: try APIDocument(bundle: resourceBundle))
}

/// This module's resources (its migrations), for the commands and the tests.
let resourceBundle = Bundle.module
