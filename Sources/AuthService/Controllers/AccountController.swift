import Foundation
import Hummingbird
import Logging
import Shared

/// Signup, email verification, and password reset.
struct AccountController: Sendable {
    let database: Database
    let users: UserStore
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let sessions: Sessions
    let background: BackgroundWork
    let config: AuthConfig
    let linkSeal: MailLinkSeal
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>, authenticated: RouterGroup<AppRequestContext>) {
        group.post("signup", use: signup)
        group.post("email/verify", use: verify)
        group.get("email/verify", use: verify)
        authenticated.post("email/resend", use: resend)
        group.post("password/forgot", use: forgot)
        group.post("password/reset", use: reset)
    }

    struct SignupRequest: Decodable {
        var email: String
        var password: String
        var nickname: String
    }

    struct TokenRequest: Decodable {
        var token: String
    }

    struct ForgotRequest: Decodable {
        var email: String
    }

    struct ResetRequest: Decodable {
        var token: String
        var newPassword: String
    }

    @Sendable func signup(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<UserView> {
        let body = try await request.decode(as: SignupRequest.self, context: context)
        let email = try Credentials.validEmail(body.email)
        let nickname = try Credentials.validNickname(body.nickname)
        try Credentials.validatePassword(body.password)
        try hasher.checkAdmission()
        if let wait = try await throttle.checkSignup(address: context.clientAddress ?? "unknown") {
            throw APIError.tooManyRequests("Too many signups from this address, try again later", retryAfter: wait.wholeSecondsUp)
        }
        let hash = try await hasher.hash(body.password)
        let user = try await database.withTransaction(logger: logger) { connection in
            guard let user = try await users.insert(email: email, nickname: nickname, passwordHash: hash, role: .user, on: connection) else {
                throw APIError.conflict("An account with this email already exists", code: "email_taken")
            }
            let token = try await users.issueToken(userID: user.id, purpose: .verifyEmail, ttl: config.verifyTokenTTL, on: connection)
            try await JobQueue.enqueue([
                .email(EmailJob(template: .welcome, to: email, nickname: nickname), uniqueKey: "welcome:\(user.id)"),
                .email(try EmailJob(template: .verifyEmail, to: email, nickname: nickname, link: verificationLink(token), sealedWith: linkSeal)),
                .audit(AuditEvent(.userSignedUp, actorID: user.id, targetType: "user", targetID: user.id, request: request, context: context)),
                .userChange(UserChange(userID: user.id, nickname: user.nickname, banned: false)),
            ], on: connection, logger: logger)
            return user
        }
        return EditedResponse(status: .created, headers: [.location: "/api/users/me"], response: user.publicView)
    }

    /// POST with `{token}`, or GET with `?token=` from the mailed link.
    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> UserView {
        let token = request.method == .get
            ? request.uri.queryParameters.get("token") ?? ""
            : try await request.decode(as: TokenRequest.self, context: context).token
        let userID = try await database.withTransaction(logger: logger) { connection in
            guard let userID = try await users.consumeToken(token, purpose: .verifyEmail, on: connection) else {
                throw APIError.invalid("The verification link is invalid, used or expired", code: "invalid_token")
            }
            if try await users.markVerified(userID: userID, on: connection) {
                try await JobQueue.enqueue([.audit(AuditEvent(
                    .userEmailVerified, actorID: userID, targetType: "user", targetID: userID, request: request, context: context))],
                    on: connection, logger: logger)
            }
            return userID
        }
        guard let user = try await users.find(id: userID) else { throw APIError.notFound() }
        return user.publicView
    }

    /// Sends a new verification link (the old one stops working). 202 also when already verified.
    @Sendable func resend(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        guard let user = try await users.find(id: identity.userID) else { throw APIError.unauthorized() }
        guard !user.emailVerified else { return .accepted }
        if let wait = try await throttle.checkMail(userID: user.id, purpose: .verifyEmail) {
            throw APIError.tooManyRequests("Too many mails for this account, try again later", retryAfter: wait.wholeSecondsUp)
        }
        try await database.withTransaction(logger: logger) { connection in
            let token = try await users.issueToken(userID: user.id, purpose: .verifyEmail, ttl: config.verifyTokenTTL, on: connection)
            try await JobQueue.enqueue([
                .email(try EmailJob(template: .verifyEmail, to: user.email, nickname: user.nickname, link: verificationLink(token), sealedWith: linkSeal)),
            ], on: connection, logger: logger)
        }
        return .accepted
    }

    /// 202 whatever the email, at once: the lookup and the mail happen after the answer, so
    /// neither its content nor its timing says which accounts exist.
    @Sendable func forgot(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let email = try Credentials.validEmail(try await request.decode(as: ForgotRequest.self, context: context).email)
        if let wait = try await throttle.checkForgot(address: context.clientAddress ?? "unknown") {
            throw APIError.tooManyRequests("Too many reset requests from this address, try again later", retryAfter: wait.wholeSecondsUp)
        }
        let event = AuditEvent(.userPasswordResetRequested, actorID: nil, targetType: "user", request: request, context: context)
        background.submit { [self] in
            do {
                try await mailResetLink(to: email, event: event)
            } catch {
                logger.warning("password reset request failed", metadata: ["error": "\(error.reason)"])
            }
        }
        return .accepted
    }

    private func mailResetLink(to email: String, event: AuditEvent) async throws {
        guard let user = try await users.find(email: email), !user.banned,
              try await throttle.checkMail(userID: user.id, purpose: .passwordReset) == nil
        else { return }
        var event = event
        event.targetID = user.id
        try await database.withTransaction(logger: logger) { connection in
            let token = try await users.issueToken(userID: user.id, purpose: .passwordReset, ttl: config.resetTokenTTL, on: connection)
            try await JobQueue.enqueue([
                .email(try EmailJob(template: .passwordReset, to: user.email, nickname: user.nickname, link: resetLink(token), sealedWith: linkSeal)),
                .audit(event),
            ], on: connection, logger: logger)
        }
    }

    /// Sets a new password with a reset token, and ends every session of the account.
    @Sendable func reset(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let body = try await request.decode(as: ResetRequest.self, context: context)
        try Credentials.validatePassword(body.newPassword)
        let invalid = APIError.invalid("The reset link is invalid, used or expired", code: "invalid_token")
        // Checked before hashing, so bad tokens cannot make us burn bcrypt time.
        guard try await users.tokenIsLive(body.token, purpose: .passwordReset) else { throw invalid }
        let hash = try await hasher.hash(body.newPassword)
        // The end is applied after the commit, so a login that read the old hash is ended too.
        _ = try await sessions.ending.commit { connection in
            guard let userID = try await users.consumeToken(body.token, purpose: .passwordReset, on: connection) else { throw invalid }
            try await users.setPassword(userID: userID, passwordHash: hash, on: connection)
            try await JobQueue.enqueue([.audit(AuditEvent(
                .userPasswordReset, actorID: userID, targetType: "user", targetID: userID, request: request, context: context))],
                on: connection, logger: logger)
            return ((), userID)
        }
        return .noContent
    }

    private func verificationLink(_ token: SecretToken) -> String {
        "\(config.publicBaseURL)/api/auth/email/verify?token=\(token.value)"
    }

    private func resetLink(_ token: SecretToken) -> String {
        "\(config.publicBaseURL)/reset-password?token=\(token.value)"
    }
}
