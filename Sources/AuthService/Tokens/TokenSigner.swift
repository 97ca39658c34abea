import Foundation
import JWTKit
import NIOConcurrencyHelpers
import Shared

/// Signs access tokens with the current key from the store.
///
/// The key is cached for `keyCacheTTL` so a login does not read Postgres for it. After a rotation
/// elsewhere an instance may sign with the retired key for that long, which is safe: a retired key
/// stays published for a token lifetime plus a minute.
final class TokenSigner: Sendable {
    let keys: SigningKeyStore
    let issuer: String
    let audience: String
    let ttl: Duration
    let keyCacheTTL: Duration
    let clock: ServiceClock
    private let cached = NIOLockedValueBox<(kid: String, keys: JWTKeyCollection, fetchedAt: ContinuousClock.Instant)?>(nil)

    init(keys: SigningKeyStore, issuer: String, audience: String, ttl: Duration, keyCacheTTL: Duration = .seconds(30),
         clock: ServiceClock = .system) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self.keyCacheTTL = keyCacheTTL
        self.clock = clock
    }

    func accessToken(userID: String, role: Identity.Role, emailVerified: Bool, session: String) async throws -> (token: String, expiresIn: Int) {
        let (kid, collection) = try await currentKey()
        let now = clock.date
        let seconds = Int(ttl.components.seconds)
        let claims = AccessTokenClaims(
            userID: userID, role: role, issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(seconds)),
            issuer: issuer, audience: audience, tokenID: UUID().uuidString.lowercased(), emailVerified: emailVerified,
            sessionID: session)
        let token = try await collection.sign(claims, kid: JWKIdentifier(string: kid))
        return (token, seconds)
    }

    private func currentKey() async throws -> (String, JWTKeyCollection) {
        if let entry = cached.withLockedValue({ $0 }), clock.now - entry.fetchedAt < keyCacheTTL {
            return (entry.kid, entry.keys)
        }
        let key = try await keys.currentKey()
        let collection = JWTKeyCollection()
        await collection.add(eddsa: EdDSA.PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.kid))
        cached.withLockedValue { $0 = (key.kid, collection, clock.now) }
        return (key.kid, collection)
    }
}
