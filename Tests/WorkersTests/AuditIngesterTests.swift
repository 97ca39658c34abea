import Foundation
import Testing
import TestSupport
@testable import Shared
@testable import Workers

@Suite struct AuditIngesterTests {
    @Test func ingestsInBatchesIdempotentlyIntoMonthlyPartitions() async throws {
        let url = try await TestEnvironment.scratchDatabase(prefix: "audit")
        try await TestEnvironment.withDatabase(url: url) { db in
            let logger = TestEnvironment.logger
            try await Migrator.migrate([try MigrationSet.queue(), try MigrationSet(schema: "audit", bundle: Workers.resourceBundle)], database: db, logger: logger)
            try await AuditPartitions(database: db, logger: logger).ensure()
            let ingester = AuditIngester(database: db)
            let events = (0..<50).map { i in
                AuditEvent(action: i % 2 == 0 ? "post.liked" : "video.played", actorID: "u\(i % 5)", targetType: "post",
                           targetID: "p\(i)", clientAddress: "127.0.0.1", userAgent: "tests", payload: ["n": "\(i)"])
            }
            let old = AuditEvent(action: "user.signed_up", actorID: "u9", occurredAt: Date(timeIntervalSince1970: 0))
            let jobs = try (events + [old]).enumerated().map { index, event in
                ClaimedJob(id: Int64(index), queue: "audit", kind: AuditEvent.kind,
                           payload: String(decoding: try JSONEncoder().encode(event), as: UTF8.self),
                           attempt: 1, maxAttempts: 5, createdAt: Date(), runAt: Date())
            }
            // Concurrently, as the runner calls it; then every job again (a rerun stores nothing new).
            for _ in 0..<2 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for job in jobs { group.addTask { try await ingester.handle(job, logger: logger) } }
                    try await group.waitForAll()
                }
            }
            #expect(try await count("audit.events", db) == 51)
            let partitioned = try await db.query("""
                SELECT tableoid::regclass::text, count(*) FROM audit.events GROUP BY 1 ORDER BY 1
                """, logger: logger).map { try $0.decode((String, Int).self) }
            #expect(partitioned.contains { $0.0 == "audit.events_default" && $0.1 == 1 })
            #expect(partitioned.contains { $0.0.hasPrefix("audit.events_20") && $0.1 == 50 })
            let counts = try await db.query("""
                SELECT action, events FROM audit.daily_action_counts WHERE day = (now() AT TIME ZONE 'UTC')::date ORDER BY action
                """, logger: logger).map { try $0.decode((String, Int).self) }
            #expect(counts.map(\.0) == ["post.liked", "video.played"] && counts.map(\.1) == [25, 25])
            let actives = try await db.query("""
                SELECT users FROM audit.daily_active_users WHERE day = (now() AT TIME ZONE 'UTC')::date
                """, logger: logger)[0].decode(Int.self)
            #expect(actives == 5)
            // The analyst role may read and not write.
            let grants = try await db.query("""
                SELECT has_table_privilege('analyst', 'audit.events', 'SELECT'), has_table_privilege('analyst', 'audit.events', 'INSERT')
                """, logger: logger)[0].decode((Bool, Bool).self)
            #expect(grants == (true, false))
        }
    }

    @Test func aMalformedEventIsAPermanentFailure() async throws {
        let url = try await TestEnvironment.scratchDatabase(prefix: "audit")
        try await TestEnvironment.withDatabase(url: url) { db in
            let job = ClaimedJob(id: 1, queue: "audit", kind: AuditEvent.kind, payload: #"{"nope":1}"#, attempt: 1,
                                 maxAttempts: 5, createdAt: Date(), runAt: Date())
            do {
                try await AuditIngester(database: db).handle(job, logger: TestEnvironment.logger)
                Issue.record("a malformed event was accepted")
            } catch let failure as JobFailure {
                #expect(failure.permanent)
            }
        }
    }
}
