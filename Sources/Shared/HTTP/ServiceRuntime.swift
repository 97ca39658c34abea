import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// What every service is built from: its settings, Postgres and Redis pools, the access-token
/// verifier, and a logger. `buildApplication` of each service takes one of these.
public struct ServiceRuntime: Sendable {
    public let config: ServiceConfig
    public let logger: Logger
    public let database: Database
    public let redis: RedisClient
    public let verifier: AccessTokenVerifier
    public let revocations: RevocationList
    /// What expiry and cool-down rules read the time from (`.system` but in tests).
    public let clock: ServiceClock
    /// Filled by `makeApplication`, read by the error middleware (405 with `Allow`).
    let routeMethods = RouteMethods()

    public init(config: ServiceConfig, clock: ServiceClock = .system) throws {
        LoggingSetup.bootstrap(format: config.logFormat, level: config.logLevel)
        MetricsSetup.bootstrap()
        var logger = Logger(label: config.name)
        logger.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
        self.config = config
        self.clock = clock
        self.logger = logger
        self.database = try Database(
            url: config.databaseURL, applicationName: config.name, maxConnections: config.databasePoolSize,
            acquireTimeout: config.databaseAcquireTimeout, leaseTimeout: config.databaseLeaseTimeout, logger: logger)
        self.redis = RedisClient(
            configuration: try RedisConfiguration(url: config.redisURL, poolSize: config.redisPoolSize, commandTimeout: config.redisTimeout),
            service: config.name, logger: logger)
        var settings = AccessTokenVerifier.Settings(jwksURL: config.jwksURL, issuer: config.jwtIssuer, audience: config.jwtAudience)
        settings.cacheTTL = config.jwksCacheTTL
        settings.clockSkew = config.jwtClockSkew
        self.verifier = AccessTokenVerifier(settings: settings, clock: clock, logger: logger)
        self.revocations = RevocationList(redis: redis, cacheTTL: config.revocationCacheTTL, clock: clock)
    }

    /// Authenticates callers; with `required: false` anonymous requests pass too.
    public func authMiddleware(required: Bool = true) -> AuthMiddleware {
        AuthMiddleware(verifier: verifier, revocations: revocations, required: required)
    }

    /// The readiness checks for Postgres and Redis.
    public var readinessChecks: [ReadinessCheck] {
        [
            ReadinessCheck("postgres") { [database, logger] in try await database.ping(logger: logger) },
            ReadinessCheck("redis") { [redis] in try await redis.ping() },
        ]
    }

    /// A router with the shared middleware (`HEAD` for every `GET`, request id, access log, metrics,
    /// CORS when `CORS_ORIGINS` names origins, JSON errors, body limit) and the health routes.
    /// `bodyLimits` raises the body limit under some path prefixes; `cacheable` names the paths
    /// whose handlers answer a late request from a cache (`AppRequestContext.late`).
    public func makeRouter(bodyLimits: [String: Int] = [:], cacheable: Set<String> = []) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: HeadResponses())
        router.add(middleware: ObservabilityMiddleware(service: config.name, trustedProxies: config.trustedProxies))
        if !config.corsOrigins.isEmpty {
            // Before the error middleware, so errors carry the CORS headers too; a preflight is
            // answered before any limit or shedding.
            router.add(middleware: CORSAllowList(origins: config.corsOrigins, routes: routeMethods))
        }
        router.add(middleware: ErrorMiddleware(routes: routeMethods))
        router.add(middleware: QueueDeadlineMiddleware(service: config.name, maxQueue: config.maxQueue,
                                                       maxCachedQueue: config.maxCachedQueue, cacheable: cacheable))
        router.add(middleware: BodyLimitMiddleware(maxBytes: config.maxBodyBytes, overrides: bodyLimits))
        router.addHealthRoutes(checks: readinessChecks)
        return router
    }

    /// The application: the HTTP server plus the pools as services, so SIGTERM stops accepting,
    /// lets in-flight requests finish, and then closes the pools. A public service passes its
    /// `document`, which is served at `/openapi.json` and must match the router (`APIDocument`).
    public func makeApplication(
        router: Router<AppRequestContext>,
        services: [any Service] = [],
        migrations: [MigrationSet],
        document: APIDocument? = nil
    ) throws -> Application<RouterResponder<AppRequestContext>> {
        try document?.serve(on: router)
        routeMethods.record(router.routes)
        var app = Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: config.name, backlog: config.listenBacklog),
            services: [database, redis] + services,
            onServerRunning: { [acceptBatch = config.acceptBatch, logger] channel in
                do {
                    try await channel.setOption(ChannelOptions.maxMessagesPerRead, value: UInt(acceptBatch)).get()
                } catch {
                    logger.warning("accept batch not set", metadata: ["error": "\(error.reason)"])
                }
            },
            logger: logger)
        app.beforeServerStarts { [database, logger] in
            // Every service enqueues jobs, so each makes sure the queue schema is there first.
            try await Migrator.migrate([try MigrationSet.queue()] + migrations, database: database, logger: logger)
        }
        return app
    }
}
