import Foundation
import Hummingbird
import Shared

/// An account as AuthService stores it.
struct User: Sendable {
    var id: String
    var email: String
    var nickname: String
    var passwordHash: String
    var role: Identity.Role
    var emailVerified: Bool
    var banned: Bool
    var createdAt: Date
    /// When every session of the account was last ended (milliseconds, the database's clock).
    var sessionsEndedAt: Int64?
    /// When this row was read, on the same clock: a login that read the password hash then can
    /// start a session only if no session end came after it.
    var readAt: Int64

    /// What clients see: never the hash or the ban reason.
    var publicView: UserView {
        UserView(id: id, email: email, nickname: nickname, role: role.rawValue, emailVerified: emailVerified, createdAt: createdAt)
    }
}

struct UserView: ResponseCodable, Equatable {
    var id: String
    var email: String
    var nickname: String
    var role: String
    var emailVerified: Bool
    var createdAt: Date
}
