import Foundation
import Logging
import Shared

/// A forgotten password: a reset link mailed to a known, unbanned address, and the new password
/// it sets, which ends every session of the account (`SessionEnd`).
struct PasswordRecovery: Sendable {
    let database: Database
    let users: UserStore
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let ending: SessionEnd
    let config: AuthConfig
    let linkSeal: MailLinkSeal
    let logger: Logger

    /// Mails a reset link when the address belongs to an account that may have one; does nothing
    /// otherwise, and says nothing either way (the caller answered before this ran).
    func mailResetLink(to email: String, origin: AuditOrigin) async throws {
        guard let user = try await users.find(email: email), !user.banned,
              try await throttle.checkMail(userID: user.id, purpose: .passwordReset) == nil
        else { return }
        try await database.withTransaction(logger: logger) { connection in
            let token = try await users.issueToken(userID: user.id, purpose: .passwordReset, ttl: config.resetTokenTTL, on: connection)
            try await JobQueue.enqueue([
                .email(try EmailJob(template: .passwordReset, to: user.email, nickname: user.nickname, link: resetLink(token), sealedWith: linkSeal)),
                .audit(AuditEvent(.userPasswordResetRequested, actorID: nil, targetType: "user", targetID: user.id, origin: origin)),
            ], on: connection, logger: logger)
        }
    }

    /// Sets `newPassword` with a reset token and ends every session of the account.
    func reset(token: String, newPassword: String, origin: AuditOrigin) async throws {
        try Credentials.validatePassword(newPassword)
        let invalid = APIError.invalid("The reset link is invalid, used or expired", code: "invalid_token")
        // Checked before hashing, so bad tokens cannot make us burn bcrypt time.
        guard try await users.tokenIsLive(token, purpose: .passwordReset) else { throw invalid }
        let hash = try await hasher.hash(newPassword)
        // The end is applied after the commit, so a login that read the old hash is ended too.
        _ = try await ending.commit { connection in
            guard let userID = try await users.consumeToken(token, purpose: .passwordReset, on: connection) else { throw invalid }
            try await users.setPassword(userID: userID, passwordHash: hash, provesEmail: true, on: connection)
            try await JobQueue.enqueue([.audit(AuditEvent(
                .userPasswordReset, actorID: userID, targetType: "user", targetID: userID, origin: origin))],
                on: connection, logger: logger)
            return ((), userID)
        }
    }

    private func resetLink(_ token: SecretToken) -> String {
        "\(config.publicBaseURL)/reset-password?token=\(token.value)"
    }
}
