import Foundation
import JWTKit

/// The claims of an access token: issued by AuthService, verified by every service.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var role: String
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var jti: IDClaim
    /// Whether the account's email was verified when the token was issued (the OpenID Connect
    /// claim); services that grade callers by it (GPT quotas) read it. Absent in older tokens.
    public var emailVerified: Bool?

    enum CodingKeys: String, CodingKey {
        case sub, role, iat, exp, iss, aud, jti
        case emailVerified = "email_verified"
    }

    public init(userID: String, role: Identity.Role, issuedAt: Date, expiresAt: Date, issuer: String, audience: String, tokenID: String,
                emailVerified: Bool? = nil) {
        sub = .init(value: userID)
        self.role = role.rawValue
        iat = .init(value: issuedAt)
        exp = .init(value: expiresAt)
        iss = .init(value: issuer)
        aud = .init(value: [audience])
        jti = .init(value: tokenID)
        self.emailVerified = emailVerified
    }

    /// The signature is already checked when this runs; issuer and audience are checked by the
    /// verifier, which knows the expected values.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
