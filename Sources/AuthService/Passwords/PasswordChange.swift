import Foundation
import Logging
import Shared

/// A new password chosen while signed in: the current one confirmed, every session of the
/// account ended (`SessionEnd`: a thief's session too), a mail to say so, and a new session for
/// the caller, whose own session ended with the rest.
struct PasswordChange: Sendable {
    let users: UserStore
    let hasher: PasswordHasher
    let confirmation: PasswordConfirmation
    let ending: SessionEnd
    let sessions: Sessions
    let logger: Logger

    func change(userID: String, current: String, new: String, origin: AuditOrigin) async throws -> TokenPair {
        try Credentials.validatePassword(new)
        let user = try await confirmation.confirm(userID: userID, password: current, address: origin.clientAddress)
        let hash = try await hasher.hash(new)
        _ = try await ending.commit { connection in
            try await users.setPassword(userID: user.id, passwordHash: hash, provesEmail: false, on: connection)
            try await JobQueue.enqueue([
                .audit(AuditEvent(.userPasswordChanged, actorID: user.id, targetType: "user", targetID: user.id, origin: origin)),
                .email(EmailJob(template: .passwordChanged, to: user.email, nickname: user.nickname)),
            ], on: connection, logger: logger)
            return ((), user.id)
        }
        // A session counts from when its account row was read; one read in the very millisecond
        // of the end is refused, so a second read (a millisecond on) settles it.
        for _ in 0..<3 {
            guard let fresh = try await users.find(id: user.id) else { break }
            if let pair = try await sessions.start(for: fresh, on: SessionDevice(origin: origin)) { return pair }
        }
        throw APIError.unauthorized("The password was changed, but this session ended with the others: sign in again", code: "session_ended")
    }
}
