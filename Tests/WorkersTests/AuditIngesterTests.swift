import Foundation
import Logging
import Testing
import TestSupport
@testable import Shared
@testable import Workers

@Suite struct AuditIngesterTests {
    /// A scratch database with the queue and audit schemas, and this month's partitions.
    func withAuditDatabase(partitions: Bool = true, _ body: @escaping @Sendable (Database, Logger) async throws -> Void) async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "audit") { url in
            try await TestEnvironment.withDatabase(url: url) { db in
                let logger = TestEnvironment.logger
                try await Migrator.migrate([try MigrationSet.queue(), try MigrationSet(schema: "audit", bundle: Workers.resourceBundle)], database: db, logger: logger)
                if partitions { try await AuditPartitions(database: db, logger: logger).ensure() }
                try await body(db, logger)
            }
        }
    }

    @Test func ingestsInBatchesIdempotentlyIntoMonthlyPartitions() async throws {
        try await withAuditDatabase { db, logger in
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

    /// A batch job is unpacked by Postgres: every field lands as the event had it, absent
    /// optionals are NULL, a repeated event and a rerun store nothing twice, unusable ones go.
    @Test func aBatchJobStoresEveryFieldOnceEach() async throws {
        try await withAuditDatabase { db, logger in
            let at = Date(timeIntervalSince1970: 1_796_000_000.123456)
            let full = AuditEvent(action: "gpt.asked", actorID: "u1", targetType: "question", targetID: "abc", clientAddress: "10.0.0.1",
                                  userAgent: "agent \"quoted\" 한국어", payload: ["source": "exact", "question": "서울 날씨 'x'"], occurredAt: at)
            let bare = AuditEvent(action: "search.performed", actorID: nil)
            let unusable = AuditEvent(action: "", actorID: "u2")
            let job = ClaimedJob(id: 1, queue: "audit", kind: AuditEvent.batchKind,
                                 payload: String(decoding: try JSONEncoder().encode([full, bare, unusable, full]), as: UTF8.self),
                                 attempt: 1, maxAttempts: 5, createdAt: Date(), runAt: Date())
            let ingester = AuditIngester(database: db)
            try await ingester.handle(job, logger: logger)
            try await ingester.handle(job, logger: logger)
            #expect(try await count("audit.events", db) == 2)
            let row = try await db.query("""
                SELECT event_id::text, extract(epoch FROM occurred_at)::float8, actor_id, action, target_type, target_id,
                       client_address, user_agent, payload->>'source', payload->>'question'
                FROM audit.events WHERE action = 'gpt.asked'
                """, logger: logger)[0].decode((String, Double, String?, String, String?, String?, String?, String?, String?, String?).self)
            #expect(row.0 == full.eventID.uuidString.lowercased())
            #expect(abs(row.1 - at.timeIntervalSince1970) < 0.000_01)
            #expect(row.2 == "u1" && row.3 == "gpt.asked" && row.4 == "question" && row.5 == "abc")
            #expect(row.6 == "10.0.0.1" && row.7 == full.userAgent && row.8 == "exact" && row.9 == "서울 날씨 'x'")
            let nulls = try await db.query("""
                SELECT actor_id IS NULL AND target_type IS NULL AND target_id IS NULL AND client_address IS NULL
                       AND user_agent IS NULL AND payload = '{}'::jsonb
                FROM audit.events WHERE action = 'search.performed'
                """, logger: logger)[0].decode(Bool.self)
            #expect(nulls)
        }
    }

    @Test func aMalformedBatchIsAPermanentFailure() async throws {
        try await withAuditDatabase(partitions: false) { db, logger in
            for payload in [#"{"nope":1}"#, #"[{"eventID":"not-a-uuid","occurredAt":1,"action":"x"}]"#, "not json"] {
                let job = ClaimedJob(id: 1, queue: "audit", kind: AuditEvent.batchKind, payload: payload, attempt: 1,
                                     maxAttempts: 5, createdAt: Date(), runAt: Date())
                do {
                    try await AuditIngester(database: db).handle(job, logger: logger)
                    Issue.record("a malformed batch was accepted: \(payload)")
                } catch let failure as JobFailure {
                    #expect(failure.permanent, "\(payload)")
                }
            }
        }
    }

    @Test func aMalformedEventIsAPermanentFailure() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "audit") { url in
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
}

@Suite struct UserErasureTests {
    @Test func aDeletedAccountsEventsLoseTheirPersonalDataAndKeepTheirShape() async throws {
        try await AuditIngesterTests().withAuditDatabase { db, logger in
            let gone = "6f1c1a2e-0000-4000-8000-000000000001", kept = "6f1c1a2e-0000-4000-8000-000000000002"
            let events = [
                AuditEvent(action: "gpt.asked", actorID: gone, targetType: "question", targetID: "q", clientAddress: nil,
                           userAgent: "phone", payload: ["question": "내 주소는 ...", "source": "upstream"]),
                AuditEvent(action: "user.logged_in", actorID: gone, clientAddress: "203.0.113.9", userAgent: "phone"),
                AuditEvent(action: "admin.user_banned", actorID: kept, targetType: "user", targetID: gone, clientAddress: "198.51.100.1",
                           userAgent: "admin's", payload: ["reason": "spam from 010-1234-5678"]),
                AuditEvent(action: "user.logged_in", actorID: kept, clientAddress: "192.0.2.5", userAgent: "laptop"),
            ]
            let ingester = AuditIngester(database: db)
            for (index, event) in events.enumerated() {
                try await ingester.handle(ClaimedJob(id: Int64(index), queue: "audit", kind: AuditEvent.kind,
                                                     payload: String(decoding: try JSONEncoder().encode(event), as: UTF8.self),
                                                     attempt: 1, maxAttempts: 5, createdAt: Date(), runAt: Date()), logger: logger)
            }
            try await db.query("""
                INSERT INTO queue.email_deliveries (job_id, recipient, template, state) VALUES
                (1, 'gone@example.com', 'welcome', 'sent'), (2, 'kept@example.com', 'welcome', 'sent')
                """, logger: logger)
            let erasure = UserErasure(userID: gone, email: "gone@example.com")
            let job = ClaimedJob(id: 99, queue: "audit", kind: UserErasure.kind,
                                 payload: String(decoding: try JSONEncoder().encode(erasure), as: UTF8.self),
                                 attempt: 1, maxAttempts: 5, createdAt: Date(), runAt: Date())
            for _ in 0..<2 { try await UserErasureHandler(database: db).handle(job, logger: logger) }

            let rows = try await db.query("""
                SELECT action, actor_id, coalesce(client_address, '-'), coalesce(user_agent, '-'), payload::text
                FROM audit.events ORDER BY action, actor_id
                """, logger: logger).map { try $0.decode((String, String, String, String, String).self) }
            #expect(rows.count == 4)
            let banned = try #require(rows.first { $0.0 == "admin.user_banned" })
            #expect(banned.2 == "-" && banned.3 == "-" && banned.4 == "{}")
            let asked = try #require(rows.first { $0.0 == "gpt.asked" })
            #expect(asked.1 == gone && asked.3 == "-" && asked.4 == #"{"source": "upstream"}"#)
            #expect(rows.filter { $0.0 == "user.logged_in" && $0.1 == gone }.allSatisfy { $0.2 == "-" && $0.3 == "-" })
            #expect(rows.contains { $0.1 == kept && $0.2 == "192.0.2.5" && $0.3 == "laptop" })
            let recipients = try await db.query("SELECT recipient FROM queue.email_deliveries", logger: logger)
                .map { try $0.decode(String.self) }
            #expect(recipients == ["kept@example.com"])
        }
    }
}
