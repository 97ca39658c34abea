import Foundation
import JWTKit
import Shared

/// Signs access tokens with the current key from the store.
struct TokenSigner: Sendable {
    let keys: SigningKeyStore
    let issuer: String
    let audience: String
    let ttl: Duration

    func accessToken(userID: String, role: Identity.Role, now: Date = Date()) async throws -> (token: String, expiresIn: Int) {
        let key = try await keys.currentKey()
        let collection = JWTKeyCollection()
        await collection.add(eddsa: EdDSA.PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.kid))
        let seconds = Int(ttl.components.seconds)
        let claims = AccessTokenClaims(
            userID: userID, role: role, issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(seconds)),
            issuer: issuer, audience: audience, tokenID: UUID().uuidString.lowercased())
        let token = try await collection.sign(claims, kid: JWKIdentifier(string: key.kid))
        return (token, seconds)
    }
}
