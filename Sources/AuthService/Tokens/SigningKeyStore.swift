import Crypto
import Foundation
import JWTKit
import Logging
import NIOCore
import PostgresNIO
import Shared

/// One Ed25519 signing key with its id.
struct SigningKey: Sendable {
    var kid: String
    var privateKey: Curve25519.Signing.PrivateKey
    var createdAt: Date
    var retiredAt: Date?

    /// The key as a public JWK.
    var publicJWK: [String: String] {
        ["kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
         "x": privateKey.publicKey.rawRepresentation.base64URLEncodedString()]
    }
}

/// Signing keys live in Postgres so every Auth instance signs with the same key and publishes the
/// same set. The first instance to start creates one.
struct SigningKeyStore: Sendable {
    let database: Database
    let logger: Logger

    /// Keys that verify tokens issued up to `maxTokenAge` ago, newest first; creates the first key
    /// when there is none.
    func publishedKeys(maxTokenAge: Duration) async throws -> [SigningKey] {
        let keys = try await load(maxTokenAge: maxTokenAge)
        if keys.contains(where: { $0.retiredAt == nil }) { return keys }
        try await createKey()
        return try await load(maxTokenAge: maxTokenAge)
    }

    /// The key new tokens are signed with.
    func currentKey() async throws -> SigningKey {
        guard let key = try await publishedKeys(maxTokenAge: .zero).first(where: { $0.retiredAt == nil }) else {
            throw ConfigurationError("no active signing key")
        }
        return key
    }

    /// Starts signing with a new key; the old one stays published until its tokens have expired.
    @discardableResult
    func rotate() async throws -> String {
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query("UPDATE auth.signing_keys SET retired_at = now() WHERE retired_at IS NULL", logger: logger)
            return try await insertKey(on: connection)
        }
    }

    private func createKey() async throws {
        try await database.withTransaction(logger: logger) { connection in
            // Two instances starting together must not both create a key.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('auth.signing_keys'))", logger: logger)
            let rows = try await connection.query("SELECT 1 FROM auth.signing_keys WHERE retired_at IS NULL", logger: logger)
            for try await _ in rows { return }
            let kid = try await insertKey(on: connection)
            logger.info("created signing key", metadata: ["kid": .string(kid)])
        }
    }

    private func insertKey(on connection: PostgresConnection) async throws -> String {
        let key = Curve25519.Signing.PrivateKey()
        let kid = Data(SHA256.hash(data: key.publicKey.rawRepresentation)).prefix(12).base64URLEncodedString()
        let raw = ByteBuffer(bytes: key.rawRepresentation)
        try await connection.query("INSERT INTO auth.signing_keys (kid, private_key) VALUES (\(kid), \(raw))", logger: logger)
        return kid
    }

    private func load(maxTokenAge: Duration) async throws -> [SigningKey] {
        let seconds = Int(maxTokenAge.components.seconds) + 60  // a minute of clock skew
        let rows = try await database.query("""
            SELECT kid, private_key, created_at, retired_at FROM auth.signing_keys
            WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => \(seconds))
            ORDER BY created_at DESC
            """, logger: logger)
        return try rows.map { row in
            let (kid, raw, createdAt, retiredAt) = try row.decode((String, ByteBuffer, Date, Date?).self)
            return SigningKey(kid: kid, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: Array(buffer: raw)), createdAt: createdAt, retiredAt: retiredAt)
        }
    }
}

extension Data {
    func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
