import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// The service's Postgres pool: postgres-nio's `PostgresClient` plus the pool gauges it does not
/// export (connections in use, callers waiting for one) and errors mapped for the HTTP layer.
public struct Database: Sendable, Service {
    public let client: PostgresClient
    private let url: String
    public let maxConnections: Int
    /// The longest a caller waits for a pooled connection before it gets `DependencyUnavailable`
    /// (a 503): while Postgres is down, requests fail in seconds instead of hanging.
    public let acquireTimeout: Duration
    /// The longest one caller may hold a connection before it is closed under it (nil: no limit).
    public let leaseTimeout: Duration?
    private let usage: PoolUsage
    private let logger: Logger

    public init(
        url: String, applicationName: String, maxConnections: Int, acquireTimeout: Duration = .seconds(3),
        leaseTimeout: Duration? = nil, logger: Logger
    ) throws {
        var configuration = try PostgresClient.Configuration(url: url)
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.leaseTimeout = leaseTimeout
        self.logger = logger
        self.url = url
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

    /// Leases a connection for `body`. The lease is taken by a child task and handed over, so the
    /// wait for it is bounded by `acquireTimeout`; `body` holds it at most `leaseTimeout`, unless
    /// `unbounded` (migrations: an index over a million rows takes what it takes).
    public func withConnection<Result: Sendable>(unbounded: Bool = false, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        usage.beganWaiting()
        var leased = false
        defer { leased ? usage.released() : usage.stoppedWaiting() }
        let deadline = ContinuousClock.now + acquireTimeout
        var attempt = 1
        while true {
            do {
                return try await withLease(until: deadline, holdAtMost: unbounded ? nil : leaseTimeout) { connection in
                    usage.leased()
                    leased = true
                    return try await body(connection)
                }
            } catch is StaleConnection where attempt < Self.staleLeaseAttempts {
                attempt += 1
            } catch let error as StaleConnection {
                throw DependencyUnavailable("postgres", underlying: error)
            }
        }
    }

    /// How many leases in a row may turn out to be connections that have already closed before
    /// the caller gets `DependencyUnavailable`: one means Postgres dropped connections (a restart),
    /// several mean it is still going away.
    static let staleLeaseAttempts = 3

    /// One lease of one connection, handed over by `ConnectionHandoff`. A connection the server has
    /// already closed is given back unused (`StaleConnection`): postgres-nio's pool learns of the
    /// close a moment after the socket goes, and a query written to a channel that has finished
    /// closing is dropped without an answer, so its caller would wait forever.
    private func withLease<Result: Sendable>(
        until deadline: ContinuousClock.Instant, holdAtMost limit: Duration?, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let handoff = ConnectionHandoff()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [client] in
                do {
                    try await client.withConnection { await handoff.lend($0) }
                } catch {
                    handoff.fail(error)
                }
            }
            group.addTask {
                if (try? await Task.sleep(until: deadline, clock: .continuous)) != nil { handoff.timeOut() }
            }
            let connection: PostgresConnection
            do {
                connection = try await handoff.borrow()
            } catch {
                group.cancelAll()
                throw Self.unavailable(error) ?? error
            }
            group.cancelAll()  // the deadline's task; the lender ignores it and waits for giveBack
            defer { handoff.giveBack() }
            // On the connection's own event loop, the check and the first query's write happen in
            // one job, so no close can slip in between; later queries resume on it in order too.
            return try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) {
                guard !connection.isClosed else { throw StaleConnection() }
                let watchdog = limit.map { LeaseWatchdog(connection, closingAfter: $0, logger: logger) }
                let outcome: Swift.Result<Result, any Error>
                do {
                    outcome = .success(try await body(connection))
                } catch let error as PSQLError where error.isConnectionProblem {
                    outcome = .failure(DependencyUnavailable("postgres", underlying: error))
                } catch {
                    outcome = .failure(error)
                }
                await watchdog?.settle()
                return try outcome.get()
            }
        }
    }

    /// What a failed lease means to a caller: Postgres unreachable (or the pool gone) is a
    /// dependency problem; a cancelled caller gets a cancellation.
    private static func unavailable(_ error: any Error) -> (any Error)? {
        // The pool reports a cancelled lease in its own error type; the caller's task says it.
        if Task.isCancelled || error is CancellationError { return CancellationError() }
        return DependencyUnavailable("postgres", underlying: error)
    }

    /// Runs `body` in a transaction; the closure's own error is rethrown as is (not wrapped), so
    /// an `APIError` raised inside keeps its status.
    public func withTransaction<Result: Sendable>(
        logger: Logger, unbounded: Bool = false,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(unbounded: unbounded) { connection in
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

    /// For operator tools, before they start: one connection outside the pool, so a wrong host or
    /// password is reported within `acquireTimeout` and with Postgres's own reason, where the
    /// pool would keep retrying quietly.
    public func checkReachable(logger: Logger) async throws {
        let configuration = try PostgresConnection.Configuration(url: url)
        do {
            let connection = try await withTimeout(acquireTimeout) {
                try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            }
            try? await connection.close()
        } catch {
            throw DatabaseUnreachable(url: RedactedURL.string(url), error: error)
        }
    }

    /// A cheap round trip for readiness checks.
    public func ping(logger: Logger) async throws {
        try await query("SELECT 1", logger: logger)
    }
}

/// The pool leased a connection whose socket had already closed.
struct StaleConnection: Error, CustomStringConvertible {
    var description: String { "the server closed the connection" }
}

/// Why an operator tool cannot start: where it tried and what Postgres (or the network) said.
public struct DatabaseUnreachable: Error, CustomStringConvertible {
    public var description: String

    init(url: String, error: any Error) {
        let reason: String
        if let error = error as? PSQLError {
            // PSQLError's own description hides everything; the server's message and the
            // network error are what an operator needs (neither holds the password).
            reason = error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "the connection failed (\(error.code))"
        } else if error is TimeoutError {
            reason = "no answer"
        } else {
            reason = "\(error)"
        }
        description = "cannot connect to Postgres at \(url): \(reason)"
    }
}

extension PSQLError {
    /// The server is down, going down or not the primary, or the connection broke, as opposed to a
    /// problem with the query: a client should come back, not report a bug.
    var isConnectionProblem: Bool {
        if [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown].contains(code) {
            return true
        }
        guard let state = serverInfo?[.sqlState] else { return false }
        // 08: connection exceptions (but 08P01, a protocol violation: our bug); 57P: a shutdown or a crash of the server ends the session
        // (57P01 on a fast shutdown or a failover's fencing); 25006: a write reached a server that
        // is read-only, a standby that an address still pointed at.
        return (state.hasPrefix("08") && state != "08P01") || state.hasPrefix("57P") || state == "25006"
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
