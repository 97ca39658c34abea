import Configuration
import Logging

/// Postgres and Redis for an operator command (`AuthService create-admin`, `Workers jobs`,
/// `GPTService budget`, ...): the service's own settings from the environment, two connections at
/// most, a logger that keeps the pools' start-up chatter from the operator (errors reach them as
/// thrown errors), and everything closed when the command's work returns.
public struct OperatorAccess: Sendable {
    public let config: ServiceConfig
    public let logger: Logger

    /// - Parameter name: how the command shows in `pg_stat_activity` and Redis (`auth-cli`).
    public init(name: String, reader: ConfigReader = .environment()) {
        config = ServiceConfig(name: name, defaultPort: 0, reader: reader)
        var logger = Logger(label: name)
        logger.logLevel = .error
        self.logger = logger
    }

    /// Runs `body` with the database, after `migrations` (if any) have brought it up to date.
    public func withDatabase<T: Sendable>(migrations: [MigrationSet] = [], _ body: (Database) async throws -> T) async throws -> T {
        let database = try Database(url: config.databaseURL, applicationName: config.name, maxConnections: 2,
                                    acquireTimeout: config.databaseAcquireTimeout, logger: logger)
        try await database.checkReachable(logger: logger)
        return try await database.whileRunning { database in
            if !migrations.isEmpty { try await Migrator.migrate(migrations, database: database, logger: logger) }
            return try await body(database)
        }
    }

    /// Runs `body` with one Redis connection, shut down afterwards whatever `body` did.
    public func withRedis<T: Sendable>(_ body: (RedisClient) async throws -> T) async throws -> T {
        let redis = RedisClient(configuration: try RedisConfiguration(url: config.redisURL, poolSize: 1, commandTimeout: config.redisTimeout),
                                service: config.name, logger: logger)
        do {
            let result = try await body(redis)
            await redis.shutdown()
            return result
        } catch {
            await redis.shutdown()
            throw error
        }
    }
}
