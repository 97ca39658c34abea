/// Who is calling, as a verified access token says.
public struct Identity: Sendable, Equatable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case user = "USER"
        case admin = "ADMIN"
    }

    public var userID: String
    public var role: Role
    public var tokenID: String
    /// When the token was issued, in milliseconds since 1970; compared with the user's revocation
    /// mark, so a token issued after a logout-all in the same second still counts.
    public var issuedAtMilliseconds: Int64
    /// The token's `email_verified` claim (false when absent).
    public var emailVerified: Bool
    /// The session the token belongs to (its `sid` claim), when it says.
    public var sessionID: String?

    public init(userID: String, role: Role, tokenID: String, issuedAtMilliseconds: Int64, emailVerified: Bool = false,
                sessionID: String? = nil) {
        self.userID = userID
        self.role = role
        self.tokenID = tokenID
        self.issuedAtMilliseconds = issuedAtMilliseconds
        self.emailVerified = emailVerified
        self.sessionID = sessionID
    }

    public var isAdmin: Bool { role == .admin }
}
