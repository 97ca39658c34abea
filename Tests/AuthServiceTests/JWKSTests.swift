import Foundation
import HummingbirdTesting
import Testing
import TestSupport
@testable import AuthService
@testable import Shared

@Suite struct JWKSTests {
    @Test func publishedKeysVerifyIssuedTokensAcrossRotation() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "auth") { url in
            let app = try buildApplication(reader: TestEnvironment.reader(databaseURL: url))
            try await app.test(.live) { client in
                // The live server listens on `localhost` (`::1` first on a stock Debian): reached by that name.
                let jwksURL = "http://localhost:\(client.port!)/api/auth/jwks.json"
                try await TestEnvironment.withDatabase(url: url) { db in
                    let store = SigningKeyStore(database: db, logger: TestEnvironment.logger)
                    let signer = TokenSigner(keys: store, issuer: "contentplatform-auth", audience: "contentplatform", ttl: .seconds(600))
                    var settings = AccessTokenVerifier.Settings(jwksURL: jwksURL, issuer: "contentplatform-auth", audience: "contentplatform")
                    settings.minRefreshInterval = .zero
                    let verifier = AccessTokenVerifier(settings: settings, logger: TestEnvironment.logger)

                    let first = try await signer.accessToken(userID: "u1", role: .admin, emailVerified: true, session: "s1")
                    #expect(first.expiresIn == 600)
                    let identity = try await verifier.verify(first.token)
                    #expect(identity.userID == "u1" && identity.role == .admin && identity.emailVerified)

                    let newKid = try await store.rotate()
                    let second = try await signer.accessToken(userID: "u2", role: .user, emailVerified: false, session: "s2")
                    let secondIdentity = try await verifier.verify(second.token)
                    #expect(secondIdentity.userID == "u2" && !secondIdentity.emailVerified)
                    #expect(try await verifier.verify(first.token).userID == "u1")

                    try await client.execute(uri: "/api/auth/jwks.json", method: .get) { response in
                        #expect(response.status == .ok)
                        let body = try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: [[String: String]]]
                        let keys = body?["keys"] ?? []
                        #expect(keys.count == 2)
                        #expect(keys.first?["kid"] == newKid)
                        #expect(keys.allSatisfy { $0["d"] == nil && $0["alg"] == "EdDSA" && $0["kty"] == "OKP" })
                    }
                }
            }
        }
    }
}
