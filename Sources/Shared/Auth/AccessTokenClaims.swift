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
    /// The issue time to the millisecond (a private claim). `iat` and `exp` are whole seconds,
    /// as JOSE libraries with no leeway expect; a session end is compared with this instead, so a
    /// login in the same second after a reset is not taken for one before it. Absent in older
    /// tokens, which carried the fraction in `iat`.
    public var issuedAtMilliseconds: Int64?
    /// The session (refresh-token family) the token was issued for, as OpenID Connect's `sid`:
    /// how the owner's list of sessions marks the current one. Absent in older tokens.
    public var sid: String?

    enum CodingKeys: String, CodingKey {
        case sub, role, iat, exp, iss, aud, jti, sid
        case emailVerified = "email_verified"
        case issuedAtMilliseconds = "iat_ms"
    }

    public init(userID: String, role: Identity.Role, issuedAt: Date, expiresAt: Date, issuer: String, audience: String, tokenID: String,
                emailVerified: Bool? = nil, sessionID: String? = nil) {
        sub = .init(value: userID)
        self.role = role.rawValue
        iat = .init(value: Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down)))
        exp = .init(value: Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down)))
        issuedAtMilliseconds = issuedAt.millisecondsSince1970
        iss = .init(value: issuer)
        aud = .init(value: [audience])
        jti = .init(value: tokenID)
        self.emailVerified = emailVerified
        sid = sessionID
    }

    /// The signature is already checked when this runs; issuer and audience are checked by the
    /// verifier, which knows the expected values.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }

    /// The issue time to the millisecond: `iat_ms`, which must lie within the second `iat`
    /// names (nil otherwise: a broken token), or for older tokens `iat` with its fraction.
    public var preciseIssuedAt: Int64? {
        guard let precise = issuedAtMilliseconds else { return iat.value.millisecondsSince1970 }
        let second = Int64(iat.value.timeIntervalSince1970.rounded(.down)) * 1000
        return (second..<second + 1000).contains(precise) ? precise : nil
    }
}
