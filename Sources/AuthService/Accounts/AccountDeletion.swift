import Foundation
import Logging
import Shared

/// A user leaving (docs/api.md, "Deleting an account"). With the password confirmed, one
/// transaction deletes the account row (email, nickname, password hash; its mailed tokens
/// cascade) and enqueues what every other part must do: ContentService erases the user's content
/// (`UserChange.deletion`), the Workers strip their past audit events of personal data and send a
/// last mail that leaves no address behind (`UserErasure`), and an audit event records the
/// deletion with the user id only. Every session and access token ends right after the commit.
struct AccountDeletion: Sendable {
    let database: Database
    let users: UserStore
    let confirmation: PasswordConfirmation
    let ending: SessionEnd
    let logger: Logger

    func delete(userID: String, password: String, origin: AuditOrigin) async throws {
        let user = try await confirmation.confirm(userID: userID, password: password, address: origin.clientAddress)
        try await database.withTransaction(logger: logger) { connection in
            guard try await users.delete(userID: user.id, on: connection) else {
                throw APIError.unauthorized("The account no longer exists", code: "invalid_token")
            }
            try await JobQueue.enqueue([
                // No origin: who deleted is the user, and where from is personal data.
                .audit(AuditEvent(.userDeleted, actorID: user.id, targetType: "user", targetID: user.id,
                                  origin: AuditOrigin(clientAddress: nil, userAgent: nil))),
                .userChange(.deletion(of: user.id)),
                .erasure(UserErasure(userID: user.id, email: user.email)),
                .email(EmailJob(template: .accountDeleted, to: user.email, nickname: user.nickname)),
            ], on: connection, logger: logger)
        }
        do {
            try await ending.endDeleted(userID: user.id)
        } catch {
            logger.warning("a deleted account's access tokens live out their lifetime",
                           metadata: ["user_id": .string(user.id), "error": "\(error.reason)"])
        }
    }
}
