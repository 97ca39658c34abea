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
    case ownerDidNotMigrate(schema: String, role: String, waited: Duration, missing: [Int], lastError: String?)

    public var description: String {
        switch self {
        case .checksumMismatch(let schema, let version, let name):
            "migration \(schema) \(version)_\(name) was changed after it was applied; add a new migration instead"
        case .unknownVersion(let schema, let version):
            "schema \(schema) has migration \(version) applied that this build does not know: is an older build running?"
        case .ownerDidNotMigrate(let schema, let role, let waited, let missing, let lastError):
            "role \(role) does not own schema \(schema), so it waited \(waited) for its owner to apply "
                + "migration(s) \(missing.map(String.init).joined(separator: ", ")) and they did not appear: "
                + "start the schema's owner (deploy/postgres/roles.sql says who owns what)"
                + (lastError.map { "; last error: \($0)" } ?? "")
        }
    }
}

/// Applies migration sets under one Postgres advisory lock, each set in its own transaction, so
/// services starting together serialise and a failed migration leaves its schema as it was.
///
/// Each schema is migrated by its owner (deploy/postgres/roles.sql): a role that is the owner, or
/// a member of it (an operator, the tests' admin), applies the set as the owner, so every object
/// belongs to the schema's role; any other role only uses the schema (every service enqueues into
/// `queue`, which the Workers own) and waits until the owner has applied what this build expects.
public enum Migrator {
    /// Any constant works as long as every runner uses the same one.
    static let lockKey: Int64 = 0x6D69_6772_6174_65

    /// - Parameter ownerWait: how long a role that does not own a schema waits for its owner.
    /// - Returns: the migrations that this call applied (the others were already there).
    @discardableResult
    public static func migrate(
        _ sets: [MigrationSet], database: Database, logger: Logger, ownerWait: Duration = .seconds(120)
    ) async throws -> [String] {
        var applied: [String] = []
        for set in sets {
            let outcome = try await database.withTransaction(logger: logger, unbounded: true) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                return try await applyIfOwner(set, on: connection, logger: logger)
            }
            switch outcome {
            case .applied(let names): applied += names
            case .notOwner(let role): try await waitForOwner(of: set, role: role, database: database, logger: logger, timeout: ownerWait)
            }
        }
        return applied
    }

    private enum Outcome: Sendable {
        case applied([String])
        case notOwner(role: String)
    }

    private static func applyIfOwner(_ set: MigrationSet, on connection: PostgresConnection, logger: Logger) async throws -> Outcome {
        let schema = try quotedIdentifier(set.schema)
        // Postgres checks the right to create before IF NOT EXISTS, so look first.
        let rows = try await connection.query("""
            SELECT pg_get_userbyid(n.nspowner), pg_has_role(current_user, n.nspowner, 'MEMBER'), current_user::text
            FROM pg_namespace n WHERE n.nspname = \(set.schema)
            """, logger: logger)
        var found: (owner: String, member: Bool, me: String)?
        for try await row in rows.decode((String, Bool, String).self) { found = (row.0, row.1, row.2) }
        switch found {
        case nil:
            let rights = try await connection.query(
                "SELECT has_database_privilege(current_database(), 'CREATE'), current_user::text", logger: logger)
            for try await (mayCreate, me) in rights.decode((Bool, String).self) where !mayCreate {
                // Someone else's schema that is not there yet: its owner will create it.
                return .notOwner(role: me)
            }
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        case let (owner, member, me)? where !member:
            logger.debug("not the owner of the schema", metadata: ["schema": .string(set.schema), "owner": .string(owner), "role": .string(me)])
            return .notOwner(role: me)
        case let (owner, _, me)?:
            // Objects belong to whoever creates them: create them as the owner.
            if owner != me {
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL ROLE \(try quotedIdentifier(owner))"), logger: logger)
            }
        }
        return .applied(try await apply(set, schema: schema, on: connection, logger: logger))
    }

    private static func apply(_ set: MigrationSet, schema: String, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query(PostgresQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """), logger: logger)
        let done = try await appliedVersions(of: set, on: connection, logger: logger)
        var applied: [String] = []
        for migration in set.migrations where done[migration.version] == nil {
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

    /// What `schema_migrations` holds, checked against the set: a changed or unknown migration throws.
    private static func appliedVersions(of set: MigrationSet, on connection: PostgresConnection, logger: Logger) async throws -> [Int: String] {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT version, checksum FROM \(try quotedIdentifier(set.schema)).schema_migrations"), logger: logger)
        var done: [Int: String] = [:]
        for try await (version, checksum) in rows.decode((Int, String).self) {
            done[version] = checksum
        }
        let known = Dictionary(uniqueKeysWithValues: set.migrations.map { ($0.version, $0) })
        if let stranger = done.keys.sorted().first(where: { known[$0] == nil }) {
            throw MigrationError.unknownVersion(schema: set.schema, version: stranger)
        }
        for migration in set.migrations {
            if let checksum = done[migration.version], checksum != migration.checksum {
                throw MigrationError.checksumMismatch(schema: set.schema, version: migration.version, name: migration.name)
            }
        }
        return done
    }

    /// Polls until the owner has applied every migration of the set. Until then the schema may be
    /// missing or not yet granted to this role: those errors mean "not yet", reported at the timeout.
    private static func waitForOwner(
        of set: MigrationSet, role: String, database: Database, logger: Logger, timeout: Duration
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var delay = Duration.milliseconds(50)
        var missing = set.migrations.map(\.version)
        var lastError: String?
        var logged = false
        while true {
            do {
                let done = try await database.withConnection(unbounded: true) { connection in
                    try await appliedVersions(of: set, on: connection, logger: logger)
                }
                missing = set.migrations.map(\.version).filter { done[$0] == nil }
                lastError = nil
                if missing.isEmpty { return }
            } catch let error as MigrationError {
                throw error
            } catch let error as PSQLError {
                lastError = error.serverInfo?[.message] ?? String(describing: error.code)
            }
            guard clock.now < deadline else {
                throw MigrationError.ownerDidNotMigrate(schema: set.schema, role: role, waited: timeout, missing: missing, lastError: lastError)
            }
            if !logged {
                logger.info("waiting for the schema's owner to migrate it", metadata: ["schema": .string(set.schema), "role": .string(role)])
                logged = true
            }
            try await Task.sleep(for: min(delay, deadline - clock.now))
            delay = min(delay * 2, .seconds(1))
        }
    }

    static func quotedIdentifier(_ name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw ConfigurationError("schema name \(name) must be lowercase letters, digits and underscores")
        }
        return "\"\(name)\""
    }
}
