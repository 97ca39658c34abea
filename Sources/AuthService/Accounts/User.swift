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
