import Foundation
import Hummingbird
import Logging
import Shared

/// Signup, email verification, password reset and change.
struct AccountController: Sendable {
    let registration: Registration
    let recovery: PasswordRecovery
    let change: PasswordChange
    let cookie: RefreshCookie
    let throttle: LoginThrottle
    let background: BackgroundWork
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>, authenticated: RouterGroup<AppRequestContext>) {
        group.post("signup", use: signup)
        group.post("email/verify", use: verify)
        group.get("email/verify", use: openOldLink)
        authenticated.post("email/resend", use: resend)
        group.post("password/forgot", use: forgot)
        group.post("password/reset", use: reset)
        authenticated.post("password/change", use: changePassword)
    }

    struct ChangeRequest: Decodable {
        var currentPassword: String
        var newPassword: String
    }

    /// A new password while signed in: every session ends, and the caller gets a new one (as
    /// JSON, or in the cookie in cookie mode).
    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TokenPair> {
        let identity = try context.requireIdentity()
        let cookieMode = try cookie.isRequested(by: request)
        let body = try await request.decode(as: ChangeRequest.self, context: context)
        let pair = try await change.change(userID: identity.userID, current: body.currentPassword, new: body.newPassword,
                                           origin: AuditOrigin(request, context))
        return cookie.answer(pair, cookieMode: cookieMode)
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
        let user = try await registration.signUp(.init(email: body.email, password: body.password, nickname: body.nickname),
                                                 origin: AuditOrigin(request, context))
        return EditedResponse(status: .created, headers: [.location: "/api/users/me"], response: user.publicView)
    }

    /// Only a POST uses the token: a mail scanner or a link preview that fetches the mailed page
    /// uses nothing.
    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> UserView {
        let token = try await request.decode(as: TokenRequest.self, context: context).token
        return try await registration.verify(token: token, origin: AuditOrigin(request, context)).publicView
    }

    /// Links mailed before they pointed at the page: sent on to it, token untouched.
    @Sendable func openOldLink(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = request.uri.queryParameters.get("token").map { String($0) } ?? ""
        let page = SecretToken.isWellFormed(token) ? "/verify-email?token=\(token)" : "/verify-email"
        return Response(status: .seeOther, headers: [.location: page])
    }

    /// Sends a new verification link (the old one stops working). 202 also when already verified.
    @Sendable func resend(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await registration.resendVerification(to: try context.requireIdentity().userID)
        return .accepted
    }

    /// 202 whatever the email, at once: the lookup and the mail happen after the answer, so
    /// neither its content nor its timing says which accounts exist.
    @Sendable func forgot(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let email = try Credentials.validEmail(try await request.decode(as: ForgotRequest.self, context: context).email)
        if let wait = try await throttle.checkForgot(address: context.clientAddress ?? "unknown") {
            throw APIError.tooManyRequests("Too many reset requests from this address, try again later", retryAfter: wait.wholeSecondsUp)
        }
        let origin = AuditOrigin(request, context)
        background.submit { [recovery, logger] in
            do {
                try await recovery.mailResetLink(to: email, origin: origin)
            } catch {
                logger.warning("password reset request failed", metadata: ["error": "\(error.reason)"])
            }
        }
        return .accepted
    }

    /// Sets a new password with a reset token, and ends every session of the account.
    @Sendable func reset(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let body = try await request.decode(as: ResetRequest.self, context: context)
        try await recovery.reset(token: body.token, newPassword: body.newPassword, origin: AuditOrigin(request, context))
        return .noContent
    }
}
