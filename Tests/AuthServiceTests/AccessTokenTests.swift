import Foundation
import Testing
import TestSupport
@testable import AuthService
@testable import Shared

@Suite struct AccessTokenTests {
    @Test func tokensSurviveKeyRotationAndNewOnesUseTheNewKey() async throws {
        try await AuthServer.run(["SIGNING_KEY_CACHE_SECONDS": "0"]) { server in
            let email = AuthServer.newEmail()
            let before = try await server.session(email)
            let newKid = try await server.withDatabase { db in try await SigningKeyStore(database: db, logger: TestEnvironment.logger).rotate() }
            let after = try #require(try await server.login(email)["accessToken"])
            #expect(kid(of: after) == newKid)
            #expect(kid(of: before.access) != newKid)
            #expect(try await server.me(before.access).status == 200)
            #expect(try await server.me(after).status == 200)
            let jwks = try await server.call(.GET, "/api/auth/jwks.json")
            #expect(((jwks.json["keys"] as? [[String: Any]]) ?? []).count == 2)
        }
    }

    @Test func expiredAndTamperedTokensAreRefused() async throws {
        let clock = TestClock()
        try await AuthServer.run(["ACCESS_TOKEN_TTL_SECONDS": "60"], clock: clock) { server in
            let session = try await server.session()
            let parts = session.access.split(separator: ".").map(String.init)
            // Claim ADMIN without re-signing.
            let payload = try #require(Data(base64URL: parts[1]))
            var claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            claims["role"] = "ADMIN"
            let forged = [parts[0], try JSONSerialization.data(withJSONObject: claims).base64URLEncodedString(), parts[2]].joined(separator: ".")
            #expect(try await server.me(forged).errorCode == "invalid_token")
            // alg "none" with no signature.
            let none = [Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncodedString(), parts[1], ""].joined(separator: ".")
            #expect(try await server.me(none).errorCode == "invalid_token")

            // Good until its lifetime (`exp` is a whole second, at most one before it)...
            clock.advance(by: .seconds(50))
            #expect(try await server.me(session.access).status == 200)
            // ...and refused a millisecond after.
            clock.advance(by: .milliseconds(10_001))
            let expired = try await server.me(session.access)
            #expect(expired.status == 401)
            #expect(expired.errorCode == "token_expired")
        }
    }

    func kid(of token: String) -> String? {
        let header = token.split(separator: ".").first.flatMap { Data(base64URL: $0) }
        return header.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?["kid"] as? String
    }
}
