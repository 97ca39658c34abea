import Foundation
import PostgresNIO
import ServiceLifecycle
import Testing
import TestSupport
@testable import Shared

/// Group commit of jobs that follow no change of their own.
@Suite struct JobBatcherTests {
    /// Runs a batcher as a service for `body`, then shuts it down gracefully.
    func withBatcher(capacity: Int = 50_000, _ body: @escaping @Sendable (JobBatcher<NewJob>, Database) async throws -> Void) async throws {
        try await withQueue { queue, db in
            let batcher = JobBatcher<NewJob>(jobs: queue, capacity: capacity, maxBatch: 500)
            try await TestEnvironment.whileRunning([batcher]) { try await body(batcher, db) }
        }
    }

    func job(_ n: Int) throws -> NewJob { try NewJob(queue: "audit", kind: "batch.test", payload: Numbered(n: n)) }

    @Test func aBurstIsWrittenInFewStatements() async throws {
        try await withBatcher { batcher, db in
            for n in 0..<5000 { batcher.submit(try job(n)) }
            for _ in 0..<200 where try await count("queue.jobs", db) < 5000 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(try await count("queue.jobs", db) == 5000)
            let distinctCommits = try await db.query("SELECT count(DISTINCT xmin::text) FROM queue.jobs", logger: TestEnvironment.logger)[0].decode(Int.self)
            // Batches of at most 500, one in flight at a time: at least 10, and far fewer than 5000.
            #expect(distinctCommits >= 10 && distinctCommits <= 100)
        }
    }

    @Test func shutdownWritesWhatIsWaiting() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "batcher") { url in
            try await TestEnvironment.withDatabase(url: url) { db in
                try await Migrator.migrate([try MigrationSet.queue()], database: db, logger: TestEnvironment.logger)
                let batcher = JobBatcher<NewJob>(jobs: JobQueue(database: db, logger: TestEnvironment.logger))
                try await TestEnvironment.whileRunning([batcher]) {
                    for n in 0..<300 { batcher.submit(try job(n)) }
                }
                #expect(batcher.pendingCount == 0)
                #expect(try await count("queue.jobs", db) == 300)
            }
        }
    }

    /// Postgres away for longer than two tries (a restart, a failover): the batch is tried again
    /// until it is written, not dropped; the answers were already given.
    @Test func aBatchOutlivesAnOutage() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "batcher") { url in
            _ = try await TestEnvironment.withDatabase(url: url) { db in
                try await Migrator.migrate([try MigrationSet.queue()], database: db, logger: TestEnvironment.logger)
            }
            let target = URLComponents(string: url)!
            let proxy = try await CuttableProxy(toHost: target.host ?? "127.0.0.1", port: target.port ?? 5432)
            defer { Task { await proxy.stop() } }
            var proxied = target
            proxied.host = "127.0.0.1"
            proxied.port = proxy.port
            var quiet = TestEnvironment.logger
            quiet.logLevel = .critical
            let database = try Database(url: proxied.string!, applicationName: "batcher-outage", maxConnections: 2,
                                        acquireTimeout: .seconds(1), logger: quiet)
            try await database.whileRunning { database in
                // The pool's first connection, which a loaded machine may take longer than the
                // deadline to make: the pool keeps connecting after a timed-out lease.
                #expect(try await eventually(timeout: .seconds(30)) {
                    (try? await database.query("SELECT 1", logger: TestEnvironment.logger)) != nil
                })
                let batcher = JobBatcher<NewJob>(jobs: JobQueue(database: database, logger: quiet))
                try await TestEnvironment.whileRunning([batcher]) {
                    proxy.cut()
                    for n in 0..<50 { batcher.submit(try job(n)) }
                    // Past the two tries a batch used to get before it was dropped.
                    #expect(try await eventually(timeout: .seconds(30)) { batcher.failedTries >= 3 })
                    proxy.restore()
                    #expect(try await eventually(timeout: .seconds(30)) { try await count("queue.jobs", database) == 50 })
                }
            }
        }
    }

    @Test func beyondItsCapacityJobsAreDroppedNotHeld() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "batcher") { url in
            try await TestEnvironment.withDatabase(url: url) { db in
                try await Migrator.migrate([try MigrationSet.queue()], database: db, logger: TestEnvironment.logger)
                // Not running: nothing drains it.
                let batcher = JobBatcher<NewJob>(jobs: JobQueue(database: db, logger: TestEnvironment.logger), capacity: 10)
                for n in 0..<25 { batcher.submit(try job(n)) }
                #expect(batcher.pendingCount == 10)
            }
        }
    }

    @Test func auditEventsGoManyToAJob() async throws {
        try await withQueue { queue, db in
            let batcher = JobBatcher<AuditEvent>.auditEvents(jobs: queue, maxBatch: 1000)
            try await TestEnvironment.whileRunning([batcher]) {
                for n in 0..<1500 { batcher.submit(AuditEvent(action: "batch.test", actorID: "u\(n)")) }
            }
            let jobs = try await count("queue.jobs", db)
            #expect(jobs >= 2 && jobs <= 10)
            let events = try await db.query("SELECT sum(jsonb_array_length(payload))::int FROM queue.jobs WHERE kind = 'audit.events'",
                                            logger: TestEnvironment.logger)[0].decode(Int.self)
            #expect(events == 1500)
        }
    }
}
