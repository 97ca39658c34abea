import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Shared

private func mayCreateRoles() async throws -> Bool {
    try await TestEnvironment.withDatabase(url: TestEnvironment.databaseURL) { db in
        try await db.query("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user", logger: TestEnvironment.logger)[0]
            .decode(Bool.self)
    }
}

/// Each schema is migrated by its owner; every other role waits for it and gets only what the
/// migrations grant (deploy/postgres/roles.sql). These need a test server where the suite may
/// create roles, as `deploy/dev test`'s throw-away one is.
@Suite(.enabled("needs a role that may create roles") { try await mayCreateRoles() })
struct SchemaOwnershipTests {
    let logger = TestEnvironment.logger

    /// A login role of this test, a member of `groups` (created if missing: roles are the whole
    /// cluster's, and other tests may be creating the same ones), with a URL for `database`.
    func loginRole(in database: String, groups: [String]) async throws -> String {
        let name = "test_role_\(UInt32.random(in: 0...UInt32.max))"
        try await TestEnvironment.withDatabase(url: TestEnvironment.databaseURL) { db in
            for group in groups {
                try await db.query(PostgresQuery(unsafeSQL: """
                    DO $$ BEGIN
                        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(group)') THEN CREATE ROLE \(group) NOLOGIN; END IF;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                    END $$
                    """), logger: logger)
            }
            try await db.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(name) LOGIN PASSWORD '\(name)'"), logger: logger)
            for group in groups {
                try await db.query(PostgresQuery(unsafeSQL: "GRANT \(group) TO \(name)"), logger: logger)
            }
        }
        var url = URLComponents(string: database)!
        url.user = name
        url.password = name
        return url.string!
    }

    @Test func aServiceThatDoesNotOwnTheQueueWaitsForItsOwnerAndMayOnlyEnqueue() async throws {
        try await TestEnvironment.withScratchDatabase { admin in
            let producer = try await loginRole(in: admin, groups: ["queue_producer"])
            let role = URLComponents(string: producer)!.user!
            try await TestEnvironment.withDatabase(url: producer) { db in
                let waiter = Task { try await Migrator.migrate([try .queue()], database: db, logger: logger, ownerWait: .seconds(60)) }
                try await TestEnvironment.withDatabase(url: admin) { owner in
                    // The waiter is polling before the owner migrates.
                    try await poll("the producer's first look at the schema") {
                        try await owner.query("SELECT count(*) FROM pg_stat_activity WHERE usename = \(role)", logger: logger)[0].decode(Int.self) > 0
                    }
                    #expect(try await !Migrator.migrate([try .queue()], database: owner, logger: logger).isEmpty)
                }
                #expect(try await waiter.value.isEmpty, "the producer applied nothing itself")

                let queue = JobQueue(database: db, logger: logger)
                let job = try NewJob(queue: "email", kind: "test", payload: ["to": "a@example.com"], uniqueKey: "once")
                #expect(try await queue.enqueue([job]).count == 1)
                #expect(try await queue.enqueue([job]).isEmpty, "the unique key holds for a producer too")
                await #expect(throws: PSQLError.self, "a producer never reads another's payloads") {
                    try await db.query("SELECT payload FROM queue.jobs", logger: logger)
                }
                await #expect(throws: PSQLError.self, "nor claims jobs") {
                    try await queue.claim(queues: ["email"], limit: 1, worker: "intruder", lease: .seconds(30))
                }
            }
        }
    }

    @Test func aServiceWhoseOwnerNeverComesGivesUpWithAClearError() async throws {
        try await TestEnvironment.withScratchDatabase { admin in
            let producer = try await loginRole(in: admin, groups: ["queue_producer"])
            let role = URLComponents(string: producer)!.user!
            let error = try await TestEnvironment.withDatabase(url: producer) { db in
                await #expect(throws: MigrationError.self) {
                    _ = try await Migrator.migrate([try .queue()], database: db, logger: logger, ownerWait: .milliseconds(500))
                }
            }
            // It names the schema, who waited and where to look.
            let text = error.map { String(describing: $0) } ?? ""
            #expect(text.contains("schema queue") && text.contains(role) && text.contains("roles.sql"), "\(text)")
        }
    }

    @Test func anOperatorMigratesAsTheSchemaOwnerSoTheOwnerOwnsEveryObject() async throws {
        try await TestEnvironment.withScratchDatabase { admin in
            let ownerURL = try await loginRole(in: admin, groups: [])
            let owner = URLComponents(string: ownerURL)!.user!
            try await TestEnvironment.withDatabase(url: admin) { db in
                try await db.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA owned AUTHORIZATION \(owner)"), logger: logger)
                let set = MigrationSet(schema: "owned", migrations: [
                    Migration(version: 1, name: "items", sql: "CREATE TABLE owned.items (id bigserial PRIMARY KEY); CREATE VIEW owned.all_items AS SELECT * FROM owned.items;"),
                ])
                #expect(try await Migrator.migrate([set], database: db, logger: logger) == ["owned/0001_items"])
                let owners = try await db.query("""
                    SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.relnamespace = 'owned'::regnamespace
                    """, logger: logger).map { try $0.decode(String.self) }
                #expect(owners == [owner], "tables, views, indexes, sequences and schema_migrations all belong to the schema's owner")
            }
            // And the owner itself finds its schema migrated.
            try await TestEnvironment.withDatabase(url: ownerURL) { db in
                let set = MigrationSet(schema: "owned", migrations: [
                    Migration(version: 1, name: "items", sql: "CREATE TABLE owned.items (id bigserial PRIMARY KEY); CREATE VIEW owned.all_items AS SELECT * FROM owned.items;"),
                ])
                let applied = try await Migrator.migrate([set], database: db, logger: logger)
                #expect(applied.isEmpty)
            }
        }
    }

    /// Polls `condition` until it holds, for at most 30 s.
    private func poll(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
