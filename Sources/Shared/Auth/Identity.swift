/// Who is calling, as a verified access token says.
public struct Identity: Sendable, Equatable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case user = "USER"
        case admin = "ADMIN"
    }

    public var userID: String
    public var role: Role
    public var tokenID: String
    /// When the token was issued, in seconds since 1970; compared with a user's revocation mark.
    public var issuedAt: Int

    public init(userID: String, role: Role, tokenID: String, issuedAt: Int) {
        self.userID = userID
        self.role = role
        self.tokenID = tokenID
        self.issuedAt = issuedAt
    }

    public var isAdmin: Bool { role == .admin }
}
