import Configuration
import Foundation

/// Settings every service shares, read from environment variables (see README for the full list).
public struct ServiceConfig: Sendable {
    public var name: String
    public var host: String
    public var port: Int
    public var databaseURL: String
    public var databasePoolSize: Int
    /// The longest a request waits for a pooled connection before it is answered 503.
    public var databaseAcquireTimeout: Duration
    /// The longest one caller may hold a pooled connection (`DATABASE_LEASE_TIMEOUT_MS`; 0: no
    /// limit): past it the connection is closed, so a partition or a hung server fails the request
    /// with 503 instead of holding it for TCP's own timeouts, minutes long.
    public var databaseLeaseTimeout: Duration?
    public var redisURL: String
    public var redisPoolSize: Int
    public var redisTimeout: Duration
    public var jwksURL: String
    public var jwtIssuer: String
    public var jwtAudience: String
    public var jwksCacheTTL: Duration
    /// How far in the future a token's `iat` may be (the hosts' clocks differ).
    public var jwtClockSkew: Duration
    /// How long a user's revocation mark (ban, logout-all) is cached per process.
    public var revocationCacheTTL: Duration
    public var maxBodyBytes: Int
    /// Connections the kernel queues before the server accepts them: a burst of new connections
    /// beyond it waits for SYN retransmits (1 s, 3 s, ...), the tail latency of a load spike.
    public var listenBacklog: Int
    /// Connections accepted in one turn of the event loop. NIO's default of 4 lets a busy loop
    /// leave new connections waiting seconds in the queue while it serves the ones it has.
    public var acceptBatch: Int
    /// The longest a request may have waited after nginx passed it on before the handler sheds it
    /// with 503 (`QueueDeadlineMiddleware`); zero turns shedding off.
    public var maxQueue: Duration
    /// How long a request on a route a cache can answer may have waited and still be served from
    /// the cache (`HTTP_MAX_QUEUE_CACHED_MS`); never less than `maxQueue`.
    public var maxCachedQueue: Duration
    public var logLevel: String
    public var logFormat: String
    /// Whose `X-Real-IP` is believed (nginx); everyone else is known by their own address.
    public var trustedProxies: TrustedProxies
    /// The browser origins allowed cross-origin requests (`CORSAllowList`); none by default.
    public var corsOrigins: [String]

    /// - Parameters:
    ///   - name: the service's name, used in logs, metrics and the Postgres `application_name`.
    ///   - defaultPort: the port this service listens on in the local stack.
    ///   - defaultLeaseTimeout: `databaseLeaseTimeout` unless configured (the Workers' jobs run longer
    ///     statements than a request should).
    public init(name: String, defaultPort: Int, reader: ConfigReader, defaultLeaseTimeout: Duration = .seconds(5)) {
        self.name = name
        self.host = reader.string(forKey: "http.host", default: "127.0.0.1")
        self.port = reader.int(forKey: "http.port", default: defaultPort)
        self.databaseURL = reader.string(forKey: "database.url", default: "postgres://app:app@127.0.0.1:5433/app")
        self.databasePoolSize = reader.int(forKey: "database.pool.size", default: 20)
        self.databaseAcquireTimeout = .milliseconds(reader.int(forKey: "database.acquire.timeout.ms", default: 3000))
        let lease = reader.int(forKey: "database.lease.timeout.ms", default: Int(defaultLeaseTimeout.components.seconds * 1000))
        self.databaseLeaseTimeout = lease > 0 ? .milliseconds(lease) : nil
        self.redisURL = reader.string(forKey: "redis.url", default: "redis://127.0.0.1:6380")
        self.redisPoolSize = reader.int(forKey: "redis.pool.size", default: 4)
        self.redisTimeout = .milliseconds(reader.int(forKey: "redis.timeout.ms", default: 2000))
        self.jwksURL = reader.string(forKey: "jwks.url", default: "http://127.0.0.1:8081/api/auth/jwks.json")
        self.jwtIssuer = reader.string(forKey: "jwt.issuer", default: "contentplatform-auth")
        self.jwtAudience = reader.string(forKey: "jwt.audience", default: "contentplatform")
        self.jwksCacheTTL = .seconds(reader.int(forKey: "jwks.cache.seconds", default: 300))
        self.jwtClockSkew = .seconds(reader.int(forKey: "jwt.clock.skew.seconds", default: 60))
        self.revocationCacheTTL = .milliseconds(reader.int(forKey: "auth.revocation.cache.ms", default: 1000))
        self.maxBodyBytes = reader.int(forKey: "http.max.body.bytes", default: 1 << 20)
        self.listenBacklog = reader.int(forKey: "http.listen.backlog", default: 4096)
        self.acceptBatch = max(1, reader.int(forKey: "http.accept.batch", default: 256))
        self.maxQueue = .milliseconds(max(0, reader.int(forKey: "http.max.queue.ms", default: 500)))
        self.maxCachedQueue = .milliseconds(max(0, reader.int(forKey: "http.max.queue.cached.ms", default: 1500)))
        self.logLevel = reader.string(forKey: "log.level", default: "info")
        self.logFormat = reader.string(forKey: "log.format", default: "json")
        self.corsOrigins = CORSAllowList.origins(from: reader.string(forKey: "cors.origins", default: ""))
        let proxies = reader.string(forKey: "trusted.proxies", default: "127.0.0.1,::1")
        do {
            self.trustedProxies = try TrustedProxies(proxies)
        } catch {
            // A setting that cannot be read trusts nobody rather than everybody; start-up says so.
            FileHandle.standardError.write(Data("\(error); trusting no proxy\n".utf8))
            self.trustedProxies = try! TrustedProxies("")
        }
    }
}

extension ConfigReader {
    /// The process environment with `overrides` on top: `main` passes none, tests pass their own.
    public static func environment(_ overrides: [String: String] = [:]) -> ConfigReader {
        let env = ProcessInfo.processInfo.environment.merging(overrides) { _, new in new }
        return ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: env))
    }
}
