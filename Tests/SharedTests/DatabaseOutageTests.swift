import Foundation
import PostgresNIO
import Shared
import Testing
import TestSupport

/// Postgres going away must cost a caller the acquisition deadline, not the pool's minute-long
/// circuit breaker, and come out as `DependencyUnavailable` (a 503), never as a PSQLError (a 500).
@Suite struct DatabaseOutageTests {
    static let target: (host: String, port: Int) = {
        let url = URLComponents(string: TestEnvironment.databaseURL)!
        return (url.host ?? "127.0.0.1", url.port ?? 5432)
    }()

    func database(port: Int, maxConnections: Int = 2, acquireTimeout: Duration, leaseTimeout: Duration? = nil) -> (Database, String) {
        var url = URLComponents(string: TestEnvironment.databaseURL)!
        url.host = "127.0.0.1"
        url.port = port
        var quiet = TestEnvironment.logger
        quiet.logLevel = .critical
        let database = try! Database(url: url.string!, applicationName: "outage-test", maxConnections: maxConnections,
                                     acquireTimeout: acquireTimeout, leaseTimeout: leaseTimeout, logger: quiet)
        return (database, url.string!)
    }

    /// Opens the pool's first connection, which a loaded machine may take longer than the short
    /// deadlines below to make: the pool keeps connecting after a timed-out lease.
    func warm(_ database: Database) async throws {
        for _ in 0..<100 {
            if (try? await database.query("SELECT 1", logger: TestEnvironment.logger)) != nil { return }
        }
        try await database.query("SELECT 1", logger: TestEnvironment.logger)
    }

    @Test func aLeaseGivesUpAtTheDeadlineWhilePostgresIsDown() async throws {
        let proxy = try await CuttableProxy(toHost: Self.target.host, port: Self.target.port)
        defer { Task { await proxy.stop() } }
        let (database, _) = database(port: proxy.port, acquireTimeout: .milliseconds(300))
        try await database.whileRunning { database in
            try await warm(database)
            proxy.cut()
            let started = ContinuousClock.now
            let error = await #expect(throws: DependencyUnavailable.self) {
                // The first query may meet the cut connection itself; the next waits for a new one.
                for _ in 0..<2 { try await database.query("SELECT 1", logger: TestEnvironment.logger) }
            }
            #expect(error?.dependency == "postgres")
            #expect(ContinuousClock.now - started < .seconds(3))
            proxy.restore()
            // Back: the pool connects again and nothing was leaked by the abandoned leases.
            var answered = false
            for _ in 0..<100 where !answered {
                answered = (try? await database.query("SELECT 1", logger: TestEnvironment.logger)) != nil
                if !answered { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(answered)
        }
    }

    /// The pool learns that the server closed a connection a moment after its socket has gone,
    /// and postgres-nio drops a query written to a channel that has finished closing without ever
    /// answering it. A lease of such a connection must not reach the caller's queries: each round
    /// cuts the connections under idle leases and asks at once, so one round in many meets the gap.
    @Test func aQueryNeverWaitsOnAConnectionTheServerClosed() async throws {
        let proxy = try await CuttableProxy(toHost: Self.target.host, port: Self.target.port)
        defer { Task { await proxy.stop() } }
        let (database, _) = database(port: proxy.port, maxConnections: 4, acquireTimeout: .milliseconds(250))
        // Not `whileRunning`: a query that hangs would keep the pool's shutdown waiting for its
        // lease, and the test must fail rather than hang.
        let pool = Task { await database.run() }
        for round in 0..<30 {
            try await warm(database)
            // Up to four open connections (on a loaded machine some may still be connecting).
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try? await database.query("SELECT pg_sleep(0.02)", logger: TestEnvironment.logger) } }
            }
            proxy.cut()
            let answered = await Self.finishes(within: .seconds(10)) {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 { group.addTask { _ = try? await database.query("SELECT 1", logger: TestEnvironment.logger) } }
                }
            }
            guard answered else {
                Issue.record("round \(round): a query on a closed connection never answered")
                return
            }
            proxy.restore()
        }
        pool.cancel()
        await pool.value
    }

    /// Whether `operation` finishes within `limit`; one that does not is left behind, unawaited.
    static func finishes(within limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        let (outcomes, continuation) = AsyncStream.makeStream(of: Bool.self)
        Task { await operation(); continuation.yield(true) }
        Task { try? await Task.sleep(for: limit); continuation.yield(false) }
        for await finished in outcomes { return finished }
        return false
    }

    @Test func theDeadlineBoundsOnlyTheWaitNotTheQuery() async throws {
        let (database, _) = database(port: Self.target.port, acquireTimeout: .milliseconds(200))
        let rows = try await database.whileRunning { database in
            try await warm(database)
            return try await database.query("SELECT pg_sleep(0.6), 1", logger: TestEnvironment.logger)
        }
        #expect(rows.count == 1)
    }

    /// A server that stops answering on an open connection (hung, or cut off by a partition; a
    /// long `pg_sleep` looks the same from here) costs the holder the lease's limit, not TCP's
    /// minutes: the connection is closed under it, the caller gets `DependencyUnavailable`, and the
    /// pool goes on with another connection. Migrations hold theirs as long as they need.
    @Test func aConnectionHeldPastItsLeaseIsClosedAndThePoolGoesOn() async throws {
        let (database, _) = database(port: Self.target.port, acquireTimeout: .seconds(15), leaseTimeout: .milliseconds(500))
        try await database.whileRunning { database in
            try await warm(database)
            await #expect(throws: DependencyUnavailable.self) {
                try await database.query("SELECT pg_sleep(5)", logger: TestEnvironment.logger)
            }
            #expect(try await database.query("SELECT 1", logger: TestEnvironment.logger).count == 1)
            let long = try await database.withConnection(unbounded: true) { connection in
                try await connection.query("SELECT pg_sleep(0.8), 1", logger: TestEnvironment.logger).collect()
            }
            #expect(long.count == 1)
        }
    }

    /// What the server says as it goes away (a fast shutdown, a failover's fencing: 57P01) or when
    /// it is not the primary (a write to a read-only server: 25006) is an outage, not a bug.
    @Test func aSessionTheServerEndsOrARefusedWriteIsAnOutage() async throws {
        let (database, _) = database(port: Self.target.port, acquireTimeout: .seconds(15))
        try await database.whileRunning { database in
            try await warm(database)
            await #expect(throws: DependencyUnavailable.self) {
                try await database.query("SELECT pg_terminate_backend(pg_backend_pid())", logger: TestEnvironment.logger)
            }
            await #expect(throws: DependencyUnavailable.self) {
                try await database.withTransaction(logger: TestEnvironment.logger) { connection in
                    try await connection.query("SET TRANSACTION READ ONLY", logger: TestEnvironment.logger)
                    try await connection.query("CREATE TABLE read_only_probe (id int)", logger: TestEnvironment.logger)
                }
            }
            #expect(try await database.query("SELECT 1", logger: TestEnvironment.logger).count == 1)
        }
    }

    @Test func anExhaustedPoolAnswersUnavailableAndRecovers() async throws {
        let (database, _) = database(port: Self.target.port, maxConnections: 1, acquireTimeout: .milliseconds(200))
        try await database.whileRunning { database in
            try await warm(database)
            async let holder: Void = database.withConnection { connection in
                _ = try await connection.query("SELECT pg_sleep(1)", logger: TestEnvironment.logger).collect()
            }
            try await Task.sleep(for: .milliseconds(300))
            await #expect(throws: DependencyUnavailable.self) {
                try await database.query("SELECT 1", logger: TestEnvironment.logger)
            }
            try await holder
            // The one connection is free again for the next caller.
            try await database.query("SELECT 1", logger: TestEnvironment.logger)
        }
    }

    @Test func aCancelledWaitIsACancellationNotAnOutage() async throws {
        let (database, _) = database(port: Self.target.port, maxConnections: 1, acquireTimeout: .seconds(5))
        try await database.whileRunning { database in
            async let holder: Void = database.withConnection { connection in
                _ = try await connection.query("SELECT pg_sleep(0.5)", logger: TestEnvironment.logger).collect()
            }
            try await Task.sleep(for: .milliseconds(100))
            let waiter = Task { try await database.query("SELECT 1", logger: TestEnvironment.logger) }
            try await Task.sleep(for: .milliseconds(100))
            waiter.cancel()
            let result = await waiter.result
            guard case .failure(let error) = result else {
                Issue.record("a cancelled wait still got a connection")
                return
            }
            #expect(!(error is DependencyUnavailable), "\(error)")
            try await holder
        }
    }

    @Test func operatorToolsLearnWhyWithinSeconds() async throws {
        // Nothing listens on a port we just freed: refused at once, reported with the address.
        let port = try TestEnvironment.freePort()
        let (database, _) = database(port: port, acquireTimeout: .seconds(2))
        let started = ContinuousClock.now
        let error = await #expect(throws: DatabaseUnreachable.self) { try await database.checkReachable(logger: TestEnvironment.logger) }
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
        #expect(error?.description.contains(":app@") == false, "the password must not be printed")

        // A login Postgres refuses: the server's own reason, and no password.
        var url = URLComponents(string: TestEnvironment.databaseURL)!
        url.user = "no_such_role"
        url.password = "its-password"
        let wrong = try Database(url: url.string!, applicationName: "outage-test", maxConnections: 1, logger: TestEnvironment.logger)
        let refused = await #expect(throws: DatabaseUnreachable.self) { try await wrong.checkReachable(logger: TestEnvironment.logger) }
        let reason = refused.map(String.init(describing:)) ?? ""
        // scram answers "password authentication failed for user ...", trust "role ... does not exist".
        #expect(reason.contains("\"no_such_role\"") && (reason.contains("authentication failed") || reason.contains("does not exist")), "\(reason)")
        #expect(refused?.description.contains("its-password") == false)
    }
}
