import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// The service's Postgres pool: postgres-nio's `PostgresClient` plus the pool gauges it does not
/// export (connections in use, callers waiting for one) and errors mapped for the HTTP layer.
public struct Database: Sendable, Service {
    public let client: PostgresClient
    public let maxConnections: Int
    private let usage: PoolUsage

    public init(url: String, applicationName: String, maxConnections: Int, logger: Logger) throws {
        var configuration = try PostgresClient.Configuration(url: url)
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.maxConnections = maxConnections
        self.usage = PoolUsage(service: applicationName, maxConnections: maxConnections)
    }

    public func run() async {
        await client.run()
    }

    /// Runs the pool for the length of `body`, for tools and tests that live outside a service group.
    public func whileRunning<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }

    public func withConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        usage.beganWaiting()
        var leased = false
        defer { leased ? usage.released() : usage.stoppedWaiting() }
        do {
            return try await client.withConnection { connection in
                usage.leased()
                leased = true
                return try await body(connection)
            }
        } catch let error as PSQLError where error.isConnectionProblem {
            throw DependencyUnavailable("postgres", underlying: error)
        }
    }

    /// Runs `body` in a transaction; the closure's own error is rethrown as is (not wrapped), so
    /// an `APIError` raised inside keeps its status.
    public func withTransaction<Result: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error.commitError ?? error.beginError ?? error
            }
        }
    }

    /// Runs one query and collects its rows.
    @discardableResult
    public func query(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withConnection { connection in
            try await connection.query(query, logger: logger).collect()
        }
    }

    /// A cheap round trip for readiness checks.
    public func ping(logger: Logger) async throws {
        try await query("SELECT 1", logger: logger)
    }
}

extension PSQLError {
    /// The server is down or the connection broke, as opposed to a problem with the query.
    var isConnectionProblem: Bool {
        [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown]
            .contains(code)
    }
}

/// Counts leases around `PostgresClient` so `/metrics` shows pool pressure. Meters change
/// atomically, so concurrent updates can never leave a stale value behind.
final class PoolUsage: Sendable {
    private let inUse: Meter
    private let waiting: Meter

    init(service: String, maxConnections: Int) {
        inUse = Meter(label: "db_pool_connections_in_use", dimensions: [("service", service)])
        waiting = Meter(label: "db_pool_requests_waiting", dimensions: [("service", service)])
        Gauge(label: "db_pool_connections_max", dimensions: [("service", service)]).record(maxConnections)
    }

    func beganWaiting() { waiting.increment() }
    func stoppedWaiting() { waiting.decrement() }
    func leased() { waiting.decrement(); inUse.increment() }
    func released() { inUse.decrement() }
}
