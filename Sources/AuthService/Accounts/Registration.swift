import Foundation
import Logging
import Shared

/// Signing up and proving an email address. Each change is committed with what it causes (the
/// mails, the audit event, the `user.changed` message for the other services) in one transaction.
struct Registration: Sendable {
    let database: Database
    let users: UserStore
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let config: AuthConfig
    let linkSeal: MailLinkSeal
    let logger: Logger

    struct Signup: Sendable {
        var email: String
        var password: String
        var nickname: String
    }

    /// A new USER account, unverified, with a welcome mail and a verification link on their way.
    func signUp(_ input: Signup, origin: AuditOrigin) async throws -> User {
        let email = try Credentials.validEmail(input.email)
        let nickname = try Credentials.validNickname(input.nickname)
        try Credentials.validatePassword(input.password)
        try hasher.checkAdmission()
        if let wait = try await throttle.checkSignup(address: origin.clientAddress ?? "unknown") {
            throw APIError.tooManyRequests("Too many signups from this address, try again later", retryAfter: wait.wholeSecondsUp)
        }
        let hash = try await hasher.hash(input.password)
        return try await database.withTransaction(logger: logger) { connection in
            guard let user = try await users.insert(email: email, nickname: nickname, passwordHash: hash, role: .user, on: connection) else {
                throw APIError.conflict("An account with this email already exists", code: "email_taken")
            }
            let token = try await users.issueToken(userID: user.id, purpose: .verifyEmail, ttl: config.verifyTokenTTL, on: connection)
            try await JobQueue.enqueue([
                .email(EmailJob(template: .welcome, to: email, nickname: nickname), uniqueKey: "welcome:\(user.id)"),
                .email(try EmailJob(template: .verifyEmail, to: email, nickname: nickname, link: verificationLink(token), sealedWith: linkSeal)),
                .audit(AuditEvent(.userSignedUp, actorID: user.id, targetType: "user", targetID: user.id, origin: origin)),
                .userChange(UserChange(userID: user.id, nickname: user.nickname, banned: false)),
            ], on: connection, logger: logger)
            return user
        }
    }

    /// Uses a verification token; returns the account it verified (422 for a bad or used one).
    func verify(token: String, origin: AuditOrigin) async throws -> User {
        let userID = try await database.withTransaction(logger: logger) { connection in
            guard let userID = try await users.consumeToken(token, purpose: .verifyEmail, on: connection) else {
                throw APIError.invalid("The verification link is invalid, used or expired", code: "invalid_token")
            }
            if try await users.markVerified(userID: userID, on: connection) {
                try await JobQueue.enqueue([.audit(AuditEvent(
                    .userEmailVerified, actorID: userID, targetType: "user", targetID: userID, origin: origin))],
                    on: connection, logger: logger)
            }
            return userID
        }
        guard let user = try await users.find(id: userID) else { throw APIError.notFound() }
        return user
    }

    /// A new verification link (the old one stops working); nothing when already verified.
    func resendVerification(to userID: String) async throws {
        guard let user = try await users.find(id: userID) else { throw APIError.unauthorized() }
        guard !user.emailVerified else { return }
        if let wait = try await throttle.checkMail(userID: user.id, purpose: .verifyEmail) {
            throw APIError.tooManyRequests("Too many mails for this account, try again later", retryAfter: wait.wholeSecondsUp)
        }
        try await database.withTransaction(logger: logger) { connection in
            let token = try await users.issueToken(userID: user.id, purpose: .verifyEmail, ttl: config.verifyTokenTTL, on: connection)
            try await JobQueue.enqueue([
                .email(try EmailJob(template: .verifyEmail, to: user.email, nickname: user.nickname, link: verificationLink(token), sealedWith: linkSeal)),
            ], on: connection, logger: logger)
        }
    }

    private func verificationLink(_ token: SecretToken) -> String {
        "\(config.publicBaseURL)/verify-email?token=\(token.value)"
    }
}
