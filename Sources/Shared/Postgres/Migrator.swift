import Crypto
import Foundation
import Logging
import PostgresNIO

/// One plain SQL file, named `NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).hexString
    }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// The migrations of one schema, applied in version order and recorded in `<schema>.schema_migrations`.
public struct MigrationSet: Sendable {
    public var schema: String
    public var migrations: [Migration]

    public init(schema: String, migrations: [Migration]) {
        self.schema = schema
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Loads the `Migrations` folder that a target ships as a resource.
    public init(schema: String, bundle: Bundle) throws {
        guard let directory = bundle.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigurationError("the migrations of schema \(schema) are missing from the build")
        }
        try self.init(schema: schema, directory: directory)
    }

    /// Loads every `NNNN_name.sql` file in `directory`.
    public init(schema: String, directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        let migrations = try files.filter { $0.pathExtension == "sql" }.map { file in
            let base = file.deletingPathExtension().lastPathComponent
            guard let underscore = base.firstIndex(of: "_"), let version = Int(base[..<underscore]) else {
                throw ConfigurationError("migration file \(file.lastPathComponent) must be named NNNN_description.sql")
            }
            return Migration(version: version, name: String(base[base.index(after: underscore)...]),
                             sql: try String(contentsOf: file, encoding: .utf8))
        }
        let versions = migrations.map(\.version)
        guard Set(versions).count == versions.count else {
            throw ConfigurationError("two migrations of schema \(schema) share a version")
        }
        self.init(schema: schema, migrations: migrations)
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    case checksumMismatch(schema: String, version: Int, name: String)
    case unknownVersion(schema: String, version: Int)

    public var description: String {
        switch self {
        case .checksumMismatch(let schema, let version, let name):
            "migration \(schema) \(version)_\(name) was changed after it was applied; add a new migration instead"
        case .unknownVersion(let schema, let version):
            "schema \(schema) has migration \(version) applied that this build does not know: is an older build running?"
        }
    }
}

/// Applies migration sets under one Postgres advisory lock, each set in its own transaction, so
/// services starting together serialise and a failed migration leaves its schema as it was.
public enum Migrator {
    /// Any constant works as long as every runner uses the same one.
    static let lockKey: Int64 = 0x6D69_6772_6174_65

    /// - Returns: the migrations that this call applied (the others were already there).
    @discardableResult
    public static func migrate(_ sets: [MigrationSet], database: Database, logger: Logger) async throws -> [String] {
        var applied: [String] = []
        for set in sets {
            let names = try await database.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                return try await apply(set, on: connection, logger: logger)
            }
            applied += names
        }
        return applied
    }

    private static func apply(_ set: MigrationSet, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let schema = try quotedIdentifier(set.schema)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """), logger: logger)
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT version, checksum FROM \(schema).schema_migrations"), logger: logger)
        var done: [Int: String] = [:]
        for try await (version, checksum) in rows.decode((Int, String).self) {
            done[version] = checksum
        }
        let known = Dictionary(uniqueKeysWithValues: set.migrations.map { ($0.version, $0) })
        if let stranger = done.keys.sorted().first(where: { known[$0] == nil }) {
            throw MigrationError.unknownVersion(schema: set.schema, version: stranger)
        }
        var applied: [String] = []
        for migration in set.migrations {
            if let checksum = done[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError.checksumMismatch(schema: set.schema, version: migration.version, name: migration.name)
                }
                continue
            }
            // The extended protocol takes one statement at a time.
            for statement in SQLStatements.split(migration.sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("""
                INSERT INTO \(unescaped: schema).schema_migrations (version, name, checksum)
                VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                """, logger: logger)
            let label = "\(set.schema)/\(String(format: "%04d", migration.version))_\(migration.name)"
            logger.info("applied migration", metadata: ["migration": .string(label)])
            applied.append(label)
        }
        return applied
    }

    static func quotedIdentifier(_ name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw ConfigurationError("schema name \(name) must be lowercase letters, digits and underscores")
        }
        return "\"\(name)\""
    }
}
