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

/// Seals signing keys at rest with AES-GCM under a key derived from an operator's secret, the kid
/// bound as associated data so a sealed key cannot be moved to another row.
struct KeySealer: Sendable {
    private let key: SymmetricKey

    /// - Parameter secret: at least 32 characters, e.g. `openssl rand -base64 32`.
    init(secret: String) throws {
        guard secret.utf8.count >= 32 else { throw ConfigurationError("SIGNING_KEY_SECRET must be at least 32 characters") }
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), info: Data("auth.signing_keys".utf8), outputByteCount: 32)
    }

    func seal(_ raw: Data, kid: String) throws -> Data {
        try AES.GCM.seal(raw, using: key, authenticating: Data(kid.utf8)).combined!
    }

    func open(_ sealed: Data, kid: String) throws -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: Data(kid.utf8))
        } catch {
            throw ConfigurationError("signing key \(kid) does not open with SIGNING_KEY_SECRET (a different secret?)")
        }
    }
}

/// Signing keys live in Postgres so every Auth instance signs with the same key and publishes the
/// same set. The first instance to start creates one. With a sealer, keys are stored sealed, and
/// a key stored plain before a secret was set is sealed when first read.
struct SigningKeyStore: Sendable {
    let database: Database
    let logger: Logger
    var sealer: KeySealer? = nil

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
        let stored = try sealer.map { try $0.seal(key.rawRepresentation, kid: kid) } ?? key.rawRepresentation
        try await connection.query("""
            INSERT INTO auth.signing_keys (kid, private_key, sealed) VALUES (\(kid), \(ByteBuffer(bytes: stored)), \(sealer != nil))
            """, logger: logger)
        return kid
    }

    private func load(maxTokenAge: Duration) async throws -> [SigningKey] {
        let seconds = Int(maxTokenAge.components.seconds) + 60  // a minute of clock skew
        let rows = try await database.query("""
            SELECT kid, private_key, sealed, created_at, retired_at FROM auth.signing_keys
            WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => \(seconds))
            ORDER BY created_at DESC
            """, logger: logger)
        var keys: [SigningKey] = []
        for row in rows {
            let (kid, stored, sealed, createdAt, retiredAt) = try row.decode((String, ByteBuffer, Bool, Date, Date?).self)
            let raw = try await unseal(Data(stored.readableBytesView), sealed: sealed, kid: kid)
            keys.append(SigningKey(kid: kid, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: raw), createdAt: createdAt, retiredAt: retiredAt))
        }
        return keys
    }

    /// The raw key; a plain one is sealed in place when there is a sealer now.
    private func unseal(_ stored: Data, sealed: Bool, kid: String) async throws -> Data {
        if sealed {
            guard let sealer else { throw ConfigurationError("signing keys are sealed: set SIGNING_KEY_SECRET") }
            return try sealer.open(stored, kid: kid)
        }
        if let sealer {
            let sealedKey = ByteBuffer(bytes: try sealer.seal(stored, kid: kid))
            _ = try await database.query(
                "UPDATE auth.signing_keys SET private_key = \(sealedKey), sealed = true WHERE kid = \(kid) AND NOT sealed", logger: logger)
            logger.info("sealed a plain signing key", metadata: ["kid": .string(kid)])
        }
        return stored
    }
}
