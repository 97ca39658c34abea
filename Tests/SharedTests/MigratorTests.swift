import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Shared

@Suite struct MigratorTests {
    let logger = TestEnvironment.logger

    func sampleSet(schema: String) -> MigrationSet {
        MigrationSet(schema: schema, migrations: [
            Migration(version: 2, name: "add_index", sql: "CREATE INDEX items_name ON \(schema).items (name);"),
            Migration(version: 1, name: "items", sql: """
                CREATE TABLE \(schema).items (id bigserial PRIMARY KEY, name text NOT NULL);
                INSERT INTO \(schema).items (name) VALUES ('first; with semicolon');
                """),
        ])
    }

    @Test func appliesInOrderOnceAndRecordsThem() async throws {
        try await TestEnvironment.withScratchDatabase { url in
            try await TestEnvironment.withDatabase(url: url) { db in
                let first = try await Migrator.migrate([sampleSet(schema: "demo")], database: db, logger: logger)
                #expect(first == ["demo/0001_items", "demo/0002_add_index"])
                let second = try await Migrator.migrate([sampleSet(schema: "demo")], database: db, logger: logger)
                #expect(second.isEmpty)
                let rows = try await db.query("SELECT version, name FROM demo.schema_migrations ORDER BY version", logger: logger)
                let recorded = try rows.map { try $0.decode((Int, String).self) }
                #expect(recorded.map(\.0) == [1, 2])
                let names = try await db.query("SELECT name FROM demo.items", logger: logger).map { try $0.decode(String.self) }
                #expect(names == ["first; with semicolon"])
            }
        }
    }

    @Test func concurrentRunnersSerialise() async throws {
        try await TestEnvironment.withScratchDatabase { url in
            // Separate pools, as separate processes would have.
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await TestEnvironment.withDatabase(url: url) { db in
                            try await Migrator.migrate([sampleSet(schema: "race")], database: db, logger: logger)
                        }
                    }
                }
                var all: [String] = []
                for try await names in group { all += names }
                return all
            }
            #expect(applied.sorted() == ["race/0001_items", "race/0002_add_index"])
            try await TestEnvironment.withDatabase(url: url) { db in
                let count = try await db.query("SELECT count(*) FROM race.items", logger: logger)[0].decode(Int.self)
                #expect(count == 1)
            }
        }
    }

    @Test func changedMigrationIsRefused() async throws {
        try await TestEnvironment.withScratchDatabase { url in
            try await TestEnvironment.withDatabase(url: url) { db in
                try await Migrator.migrate([sampleSet(schema: "edit")], database: db, logger: logger)
                var edited = sampleSet(schema: "edit")
                edited.migrations[0].sql += "\n-- edited"
                await #expect(throws: MigrationError.self) {
                    try await Migrator.migrate([edited], database: db, logger: logger)
                }
            }
        }
    }

    @Test func failedMigrationLeavesNothingBehind() async throws {
        try await TestEnvironment.withScratchDatabase { url in
            try await TestEnvironment.withDatabase(url: url) { db in
                let broken = MigrationSet(schema: "broken", migrations: [
                    Migration(version: 1, name: "ok", sql: "CREATE TABLE broken.a (x int);"),
                    Migration(version: 2, name: "bad", sql: "CREATE TABLE broken.b (x int); SELECT no_such_function();"),
                ])
                await #expect(throws: PSQLError.self) {
                    try await Migrator.migrate([broken], database: db, logger: logger)
                }
                let tables = try await db.query(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'broken'", logger: logger)[0].decode(Int.self)
                #expect(tables == 0)
            }
        }
    }

    @Test func loadsNumberedFilesFromAFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "SELECT 2;".write(to: folder.appendingPathComponent("0002_second.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: folder.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: folder.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let set = try MigrationSet(schema: "files", directory: folder)
        #expect(set.migrations.map(\.name) == ["first", "second"])
        try "SELECT 3;".write(to: folder.appendingPathComponent("third.sql"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try MigrationSet(schema: "files", directory: folder) }
    }
}
