import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import AuthService
@testable import Shared

/// Signing keys sealed at rest with `SIGNING_KEY_SECRET`.
@Suite struct SigningKeyStoreTests {
    static let secret = "a test secret that is long enough to use"

    func migrated<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        return try await TestEnvironment.withScratchDatabase(prefix: "keys") { url in
            return try await TestEnvironment.withDatabase(url: url) { db in
                try await Migrator.migrate([try MigrationSet(schema: "auth", bundle: AuthService.resourceBundle)], database: db, logger: TestEnvironment.logger)
                return try await body(db)
            }
        }
    }

    func storedRow(_ db: Database) async throws -> (sealed: Bool, bytes: Int) {
        let row = try await db.query("SELECT sealed, length(private_key) FROM auth.signing_keys", logger: TestEnvironment.logger)[0]
        let (sealed, bytes) = try row.decode((Bool, Int32).self)
        return (sealed, Int(bytes))
    }

    @Test func keysAreStoredSealedAndOpenOnlyWithTheSecret() async throws {
        try await migrated { db in
            let sealed = SigningKeyStore(database: db, logger: TestEnvironment.logger, sealer: try KeySealer(secret: Self.secret))
            let key = try await sealed.currentKey()
            #expect(try await storedRow(db) == (true, 60))
            let raw = try await db.query("SELECT private_key FROM auth.signing_keys", logger: TestEnvironment.logger)[0].decode(ByteBuffer.self)
            #expect(Data(raw.readableBytesView).range(of: key.privateKey.rawRepresentation) == nil)

            let again = try await SigningKeyStore(database: db, logger: TestEnvironment.logger, sealer: try KeySealer(secret: Self.secret)).currentKey()
            #expect(again.kid == key.kid && again.privateKey.rawRepresentation == key.privateKey.rawRepresentation)
            await #expect(throws: ConfigurationError.self) { try await SigningKeyStore(database: db, logger: TestEnvironment.logger).currentKey() }
            let otherSecret = try KeySealer(secret: Self.secret + " but different")
            await #expect(throws: ConfigurationError.self) {
                try await SigningKeyStore(database: db, logger: TestEnvironment.logger, sealer: otherSecret).currentKey()
            }
        }
    }

    @Test func aPlainKeyIsSealedOnceASecretIsSet() async throws {
        try await migrated { db in
            let plain = try await SigningKeyStore(database: db, logger: TestEnvironment.logger).currentKey()
            #expect(try await storedRow(db) == (false, 32))
            let sealed = try await SigningKeyStore(database: db, logger: TestEnvironment.logger, sealer: try KeySealer(secret: Self.secret)).currentKey()
            #expect(sealed.kid == plain.kid && sealed.privateKey.rawRepresentation == plain.privateKey.rawRepresentation)
            #expect(try await storedRow(db) == (true, 60))
        }
    }

    @Test func shortSecretsAreRefused() {
        #expect(throws: ConfigurationError.self) { try KeySealer(secret: "too short") }
    }
}
