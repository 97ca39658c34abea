import Crypto
import Foundation
import Hummingbird
import JWTKit
import ServiceLifecycle
import Shared

/// Stands in for AuthService in a service's tests: a signing key, the JWKS endpoint that
/// publishes it, and access tokens for any caller, signed as AuthService signs them.
public struct TestTokenIssuer: Sendable {
    public static let issuer = "contentplatform-auth"
    public static let audience = "contentplatform"

    public let port: Int
    private let key = Curve25519.Signing.PrivateKey()

    public init() throws {
        port = try TestEnvironment.freePort()
    }

    /// What a service's `JWKS_URL` points at.
    public var jwksURL: String { "http://127.0.0.1:\(port)/jwks.json" }

    /// The JWKS endpoint, to run beside the service under test.
    public func application() -> some Service {
        let router = Router()
        let jwk = ["kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "test-key",
                   "x": key.publicKey.rawRepresentation.base64URLEncodedString()]
        router.get("/jwks.json") { _, _ -> Response in
            let data = try JSONSerialization.data(withJSONObject: ["keys": [jwk]])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: data)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: TestEnvironment.logger)
    }

    /// An access token for `user`, valid for ten minutes.
    public func token(user: String, role: Identity.Role = .user, verified: Bool = true) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: "test-key")
        let claims = AccessTokenClaims(userID: user, role: role, issuedAt: Date(), expiresAt: Date().addingTimeInterval(600),
                                       issuer: Self.issuer, audience: Self.audience, tokenID: UUID().uuidString, emailVerified: verified)
        return try await keys.sign(claims, kid: "test-key")
    }
}
