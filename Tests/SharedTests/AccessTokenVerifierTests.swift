import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOConcurrencyHelpers
import Testing
import TestSupport
@testable import Shared

/// Verification against a real JWKS endpoint served over HTTP.
@Suite struct AccessTokenVerifierTests {
    static let issuer = "test-issuer"
    static let audience = "test-audience"

    struct KeyPair {
        let kid: String
        let key = Curve25519.Signing.PrivateKey()
        var jwk: [String: String] {
            ["kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
             "x": key.publicKey.rawRepresentation.base64URLEncodedString()]
        }
    }

    /// Serves whatever keys `published` holds at `/jwks.json`. A live test server listens on
    /// `localhost`, which a stock Debian resolves to `::1` first: it is reached by that name.
    func withJWKSServer(_ published: NIOLockedValueBox<[KeyPair]>, _ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.get("/jwks.json") { _, _ -> Response in
            let keys = published.withLockedValue { $0.map(\.jwk) }
            let data = try JSONSerialization.data(withJSONObject: ["keys": keys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: data)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://localhost:\(client.port!)/jwks.json")
        }
    }

    /// Serves `published` while `up` holds, a 500 otherwise, and counts the requests.
    func withFlakyJWKSServer(_ published: [KeyPair], up: NIOLockedValueBox<Bool>, served: NIOLockedValueBox<Int>,
                             _ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        let keys = published.map(\.jwk)
        router.get("/jwks.json") { _, _ -> Response in
            served.withLockedValue { $0 += 1 }
            // Slow enough that concurrent callers overlap.
            try await Task.sleep(for: .milliseconds(50))
            guard up.withLockedValue({ $0 }) else { return Response(status: .internalServerError) }
            let data = try JSONSerialization.data(withJSONObject: ["keys": keys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: data)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://localhost:\(client.port!)/jwks.json")
        }
    }

    @Test func concurrentCallersShareOneFetchAndAFailingAuthIsNotHammered() async throws {
        let good = KeyPair(kid: "k1")
        let up = NIOLockedValueBox(true)
        let served = NIOLockedValueBox(0)
        try await withFlakyJWKSServer([good], up: up, served: served) { url in
            let verifier = verifier(url)
            let token = try await sign(with: good)
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { try await verifier.verify(token).userID } }
                for try await user in group { #expect(user == "user-1") }
            }
            #expect(served.withLockedValue { $0 } == 1)

            // Auth fails: a token with an unknown key id costs one request, then none until the
            // backoff ends; callers get a 503-mapped error at once.
            up.withLockedValue { $0 = false }
            let unknown = try await sign(with: KeyPair(kid: "k2"))
            for _ in 0..<20 {
                await #expect(throws: DependencyUnavailable.self) { try await verifier.verify(unknown) }
            }
            #expect(served.withLockedValue { $0 } == 2)
            // Tokens of the known key still verify from the cached set meanwhile.
            #expect(try await verifier.verify(token).userID == "user-1")
        }
    }

    @Test func aKeySetIsNotTrustedForeverWhileAuthIsDown() async throws {
        let good = KeyPair(kid: "k1")
        let up = NIOLockedValueBox(true)
        let served = NIOLockedValueBox(0)
        try await withFlakyJWKSServer([good], up: up, served: served) { url in
            var settings = AccessTokenVerifier.Settings(jwksURL: url, issuer: Self.issuer, audience: Self.audience)
            settings.cacheTTL = .seconds(1)
            settings.maxStale = .seconds(60)
            settings.failureBackoff = .seconds(1)
            let clock = TestClock()
            let verifier = AccessTokenVerifier(settings: settings, clock: clock.service, logger: TestEnvironment.logger)
            let token = try await sign(with: good, expiresIn: 3600)
            #expect(try await verifier.verify(token).userID == "user-1")
            up.withLockedValue { $0 = false }
            clock.advance(by: .seconds(2))
            // Past the cache's lifetime, Auth down: the stale set still serves...
            #expect(try await verifier.verify(token).userID == "user-1")
            #expect(served.withLockedValue { $0 } == 2)
            clock.advance(by: .seconds(48))
            #expect(try await verifier.verify(token).userID == "user-1")
            // ...but not a millisecond past maxStale.
            clock.advance(by: .milliseconds(10_001))
            await #expect(throws: DependencyUnavailable.self) { try await verifier.verify(token) }
        }
    }

    func verifier(_ url: String) -> AccessTokenVerifier {
        var settings = AccessTokenVerifier.Settings(jwksURL: url, issuer: Self.issuer, audience: Self.audience)
        settings.minRefreshInterval = .zero
        return AccessTokenVerifier(settings: settings, logger: TestEnvironment.logger)
    }

    func sign(with pair: KeyPair, kid: String? = nil, expiresIn: TimeInterval = 600, issuer: String = issuer,
              audience: String = audience, role: String = "USER", issuedIn: TimeInterval = 0) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: pair.key), kid: JWKIdentifier(string: kid ?? pair.kid))
        var claims = AccessTokenClaims(
            userID: "user-1", role: .user, issuedAt: Date().addingTimeInterval(issuedIn), expiresAt: Date().addingTimeInterval(expiresIn),
            issuer: issuer, audience: audience, tokenID: UUID().uuidString)
        claims.role = role
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid ?? pair.kid))
    }

    func expectFailure(_ expected: AccessTokenVerifier.Failure, _ verifier: AccessTokenVerifier, _ token: String) async {
        do {
            _ = try await verifier.verify(token)
            Issue.record("token was accepted, expected \(expected)")
        } catch let failure as AccessTokenVerifier.Failure {
            #expect(failure == expected)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func acceptsAValidTokenAndRejectsEveryForgery() async throws {
        let good = KeyPair(kid: "k1")
        let published = NIOLockedValueBox([good])
        try await withJWKSServer(published) { url in
            let verifier = verifier(url)
            let identity = try await verifier.verify(try await sign(with: good))
            #expect(identity.userID == "user-1" && identity.role == .user)

            await expectFailure(.expired, verifier, try await sign(with: good, expiresIn: -5))
            // Issued ten minutes ahead of this clock: not by a healthy Auth. Within the allowed
            // skew (a minute) it is the other host's clock running a little fast.
            await expectFailure(.issuedInTheFuture, verifier, try await sign(with: good, expiresIn: 1200, issuedIn: 600))
            #expect(try await verifier.verify(try await sign(with: good, issuedIn: 20)).userID == "user-1")
            await expectFailure(.wrongAudience, verifier, try await sign(with: good, audience: "someone-else"))
            await expectFailure(.wrongIssuer, verifier, try await sign(with: good, issuer: "evil"))
            await expectFailure(.invalidClaims, verifier, try await sign(with: good, role: "GOD"))
            // Signed by a key that is not published, under a published key id.
            await expectFailure(.badSignature, verifier, try await sign(with: KeyPair(kid: "k1")))
            // A key id nobody published.
            await expectFailure(.unknownKey, verifier, try await sign(with: KeyPair(kid: "zz")))

            let valid = try await sign(with: good)
            let parts = valid.split(separator: ".").map(String.init)
            // alg: none with the signature stripped.
            let none = Data(#"{"alg":"none","kid":"k1","typ":"JWT"}"#.utf8).base64URLEncodedString() + "." + parts[1] + "."
            await expectFailure(.algorithmNotAllowed("none"), verifier, none)
            // HS256 keyed with the public key (algorithm confusion).
            let header = Data(#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#.utf8).base64URLEncodedString()
            let mac = HMAC<SHA256>.authenticationCode(
                for: Data((header + "." + parts[1]).utf8), using: SymmetricKey(data: good.key.publicKey.rawRepresentation))
            await expectFailure(.algorithmNotAllowed("HS256"), verifier, header + "." + parts[1] + "." + Data(mac).base64URLEncodedString())
            // A payload edited after signing.
            var payload = try JSONSerialization.jsonObject(with: Data(base64URL: parts[1])!) as! [String: Any]
            payload["role"] = "ADMIN"
            let edited = try JSONSerialization.data(withJSONObject: payload).base64URLEncodedString()
            await expectFailure(.badSignature, verifier, parts[0] + "." + edited + "." + parts[2])
            await expectFailure(.malformed, verifier, "not-a-token")
        }
    }

    /// `exp` is a whole second, at or before the issue time plus the lifetime.
    @Test func expiryIsJudgedOnTheServicesClock() async throws {
        let good = KeyPair(kid: "k1")
        try await withJWKSServer(NIOLockedValueBox([good])) { url in
            var settings = AccessTokenVerifier.Settings(jwksURL: url, issuer: Self.issuer, audience: Self.audience)
            settings.minRefreshInterval = .zero
            let clock = TestClock()
            let verifier = AccessTokenVerifier(settings: settings, clock: clock.service, logger: TestEnvironment.logger)
            let token = try await sign(with: good, expiresIn: 600)
            clock.advance(by: .seconds(590))
            #expect(try await verifier.verify(token).userID == "user-1")
            clock.advance(by: .milliseconds(10_001))
            await expectFailure(.expired, verifier, token)
        }
    }

    /// `iat` and `exp` are whole seconds (a JOSE library with no leeway would otherwise see a
    /// token issued a fraction of a second in the future); the millisecond that session ends are
    /// compared with travels in `iat_ms`, and one outside `iat`'s second is refused.
    @Test func issueTimesAreWholeSecondsWithTheMillisecondApart() async throws {
        let good = KeyPair(kid: "k1")
        try await withJWKSServer(NIOLockedValueBox([good])) { url in
            let issued = Date(timeIntervalSince1970: 1_800_000_000.789)
            let claims = AccessTokenClaims(userID: "user-1", role: .user, issuedAt: issued, expiresAt: issued.addingTimeInterval(600),
                                           issuer: Self.issuer, audience: Self.audience, tokenID: "t")
            let encoder = JSONEncoder()  // as jwt-kit encodes the payload
            encoder.dateEncodingStrategy = .secondsSince1970
            encoder.outputFormatting = .sortedKeys
            let payload = String(decoding: try encoder.encode(claims), as: UTF8.self)
            #expect(payload.contains(#""iat":1800000000,"#) && payload.contains(#""exp":1800000600,"#), "\(payload)")
            #expect(payload.contains(#""iat_ms":1800000000789"#), "\(payload)")
            #expect(claims.preciseIssuedAt == 1_800_000_000_789)

            let token = try await sign(with: good)
            let parts = token.split(separator: ".").map(String.init)
            let decoded = try JSONSerialization.jsonObject(with: Data(base64URL: parts[1])!) as! [String: Any]
            let iat = try #require(decoded["iat"] as? NSNumber), exp = try #require(decoded["exp"] as? NSNumber)
            #expect(iat.doubleValue == iat.doubleValue.rounded() && exp.doubleValue == exp.doubleValue.rounded())
            let identity = try await verifier(url).verify(token)
            #expect(identity.issuedAtMilliseconds / 1000 == iat.int64Value)

            var broken = claims
            broken.issuedAtMilliseconds = 1_800_000_001_000  // the next second: not what iat says
            #expect(broken.preciseIssuedAt == nil)
        }
    }

    @Test func picksUpARotatedKeyAndKeepsTheOldOne() async throws {
        let first = KeyPair(kid: "first")
        let published = NIOLockedValueBox([first])
        try await withJWKSServer(published) { url in
            let verifier = verifier(url)
            let old = try await sign(with: first)
            _ = try await verifier.verify(old)
            let second = KeyPair(kid: "second")
            published.withLockedValue { $0 = [second, first] }
            // Unknown kid triggers a refetch; the old key keeps verifying its tokens.
            #expect(try await verifier.verify(try await sign(with: second)).userID == "user-1")
            #expect(try await verifier.verify(old).userID == "user-1")
        }
    }

    @Test func middlewareGuardsRoutes() async throws {
        let pair = KeyPair(kid: "mw")
        let published = NIOLockedValueBox([pair])
        try await withJWKSServer(published) { url in
            let verifier = verifier(url)
            let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL), logger: TestEnvironment.logger)
            let revocations = RevocationList(redis: redis, cacheTTL: .zero)
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: ErrorMiddleware())
            router.group("me").add(middleware: AuthMiddleware(verifier: verifier, revocations: revocations)).get { _, context in
                try context.requireIdentity().userID
            }
            router.group("admin").add(middleware: AuthMiddleware(verifier: verifier, revocations: revocations))
                .add(middleware: RequireAdminMiddleware())
                .get { _, _ in "welcome" }
            router.group("open").add(middleware: AuthMiddleware(verifier: verifier, revocations: revocations, required: false)).get { _, context in
                context.identity?.userID ?? "anonymous"
            }
            let token = try await sign(with: pair)
            let app = Application(router: router)
            try await app.test(.router) { client in
                try await client.execute(uri: "/me", method: .get) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer nonsense"]) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body).contains("invalid_token"))
                }
                try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "user-1")
                }
                try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/admin", method: .get) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/open", method: .get) { #expect(String(buffer: $0.body) == "anonymous") }
                try await client.execute(uri: "/open", method: .get, headers: [.authorization: "Bearer nonsense"]) {
                    #expect($0.status == .unauthorized)
                }

                // A revocation mark refuses the tokens issued before it, not those issued after.
                try await revocations.revokeTokens(of: "user-1", tokenLifetime: .seconds(60))
                try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body).contains("token_revoked"))
                }
                let fresh = try await sign(with: pair)
                try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer \(fresh)"]) {
                    #expect($0.status == .ok)
                }
            }
            await redis.shutdown()
        }
    }
}
