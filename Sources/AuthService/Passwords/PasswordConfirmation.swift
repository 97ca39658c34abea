import Foundation
import Shared

/// A signed-in caller proving it is still the account's owner before a change a stolen access
/// token must not make alone (a new password, the account's deletion). Wrong guesses count
/// against the same limits as failed logins, so a token cannot be used to guess the password.
struct PasswordConfirmation: Sendable {
    let users: UserStore
    let hasher: PasswordHasher
    let throttle: LoginThrottle

    static let wrong = APIError.forbidden("The current password is incorrect", code: "wrong_password")

    /// The caller's account once `password` is its password: 403 `wrong_password`, 429 after too
    /// many wrong ones, 503 when the hash pool sheds.
    func confirm(userID: String, password: String, address: String?) async throws -> User {
        guard let user = try await users.find(id: userID) else {
            throw APIError.unauthorized("The account no longer exists", code: "invalid_token")
        }
        try hasher.checkAdmission()
        let attempt: LoginThrottle.Attempt
        switch try await throttle.checkLogin(email: user.email, address: address ?? "unknown") {
        case .allowed(let allowed):
            attempt = allowed
        case .limited(let wait):
            throw APIError.tooManyRequests("Too many password attempts, try again later", code: "too_many_attempts", retryAfter: wait.wholeSecondsUp)
        }
        let matches: Bool
        do {
            matches = Credentials.isAcceptablePassword(password) ? try await hasher.verify(password, against: user.passwordHash) : false
        } catch let overloaded as PasswordHasher.Overloaded {
            try await throttle.forget(attempt)
            throw overloaded
        }
        guard matches else { throw Self.wrong }
        try await throttle.succeeded(attempt)
        return user
    }
}
