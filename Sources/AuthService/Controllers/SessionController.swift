import Foundation
import Hummingbird
import Logging
import Metrics
import Shared

/// Login, refresh, logout, logout-all, and a user's list of sessions; login, refresh and logout in JSON or cookie mode
/// (`RefreshCookie`), with the same rotation, reuse detection and grace window.
struct SessionController: Sendable {
    let users: UserStore
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let sessions: Sessions
    let jobs: JobQueue
    let rehasher: PasswordRehasher
    let cookie: RefreshCookie

    func addRoutes(to group: RouterGroup<AppRequestContext>, authenticated: RouterGroup<AppRequestContext>) {
        // Every outcome from the start, at zero: a rate over a series that does not exist yet is
        // no rate at all on a dashboard.
        for outcome in Self.loginOutcomes { _ = Self.counter(login: outcome) }
        for outcome in Self.refreshOutcomes { _ = Self.counter(refresh: outcome) }
        group.post("login", use: login)
        group.post("refresh", use: refresh)
        group.post("logout", use: logout)
        authenticated.post("logout-all", use: logoutAll)
        authenticated.get("sessions", use: list)
        authenticated.delete("sessions/:id", use: endOne)
    }

    /// A live session in the owner's list; `current` is the one the caller's token belongs to.
    struct SessionView: Codable, Sendable {
        var id: String
        var current: Bool
        var startedAt: Date
        var lastUsedAt: Date
        var expiresAt: Date
        var userAgent: String
        var network: String
    }

    /// A user's sessions are few (`MAX_SESSIONS_PER_USER`): one page, in the listings' envelope.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Page<SessionView> {
        let identity = try context.requireIdentity()
        let date = { (ms: Int64) in Date(timeIntervalSince1970: Double(ms) / 1000) }
        return Page(items: try await sessions.refreshTokens.sessions(of: identity.userID).map {
            SessionView(id: $0.id, current: $0.id == identity.sessionID, startedAt: date($0.startedAt), lastUsedAt: date($0.lastUsedAt),
                        expiresAt: date($0.expiresAt), userAgent: $0.device.userAgent, network: $0.device.network)
        })
    }

    /// Ends one of the caller's sessions: it can no longer refresh, and its access token lapses
    /// within its lifetime (logout-all, or a new password, refuses every token at once).
    @Sendable func endOne(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.parameters.require("id").lowercased()
        guard try await sessions.refreshTokens.endFamily(id, of: identity.userID) else { throw APIError.notFound("No such session") }
        try await jobs.enqueue([.audit(AuditEvent(.userSessionEnded, actorID: identity.userID, targetType: "session", targetID: id,
                                                  request: request, context: context))])
        return .noContent
    }

    struct LoginRequest: Decodable {
        var email: String
        var password: String
    }

    struct RefreshRequest: Decodable {
        var refreshToken: String
    }

    /// The one answer for an unknown email and a wrong password.
    static let invalidCredentials = APIError.unauthorized("The email or password is incorrect", code: "invalid_credentials")

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TokenPair> {
        let cookieMode = try cookie.isRequested(by: request)
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let email = Credentials.normalizedEmail(body.email)
        guard !email.isEmpty, !body.password.isEmpty else { throw APIError.invalid("email and password are required") }
        // Shed first: under overload a refused login must cost next to nothing.
        do {
            try hasher.checkAdmission()
        } catch {
            Self.count(login: "shed")
            throw error
        }
        let attempt: LoginThrottle.Attempt
        switch try await throttle.checkLogin(email: email, address: context.clientAddress ?? "unknown") {
        case .allowed(let allowed):
            attempt = allowed
        case .limited(let wait):
            Self.count(login: "throttled")
            throw APIError.tooManyRequests("Too many login attempts, try again later", code: "too_many_attempts", retryAfter: wait.wholeSecondsUp)
        }
        // An address no account can have (one with a NUL, say) is looked up by nobody, but still
        // pays for a hash like any unknown email.
        let user = EmailAddress.isValid(email) ? try await users.find(email: email) : nil
        // A password bcrypt would truncate or cut at a NUL cannot be anyone's: no hash needed.
        var matches = false
        if Credentials.isAcceptablePassword(body.password) {
            do {
                matches = try await hasher.verify(body.password, against: user?.passwordHash)
            } catch let overloaded as PasswordHasher.Overloaded {
                Self.count(login: "shed")
                try await throttle.forget(attempt)
                throw overloaded
            }
        }
        guard let user, matches else {
            try await loginFailed(user: user, reason: "invalid_credentials", request: request, context: context)
            throw Self.invalidCredentials
        }
        guard !user.banned else {
            try await loginFailed(user: user, reason: "account_banned", request: request, context: context)
            throw APIError.forbidden("This account is banned", code: "account_banned")
        }
        // nil: a password reset or a ban committed while the hash ran, and wins.
        guard let pair = try await sessions.start(for: user, on: SessionDevice(origin: AuditOrigin(request, context))) else {
            try await loginFailed(user: user, reason: "revoked_meanwhile", request: request, context: context)
            throw Self.invalidCredentials
        }
        try await throttle.succeeded(attempt)
        try await jobs.enqueue([.audit(AuditEvent(.userLoggedIn, actorID: user.id, request: request, context: context))])
        Self.count(login: "success")
        rehasher.submit(user, password: body.password)
        return cookie.answer(pair, cookieMode: cookieMode)
    }

    /// The refresh token of a refresh or logout: from the cookie in cookie mode, else the body.
    private func refreshToken(of request: Request, context: AppRequestContext, cookieMode: Bool) async throws -> String {
        if cookieMode { return cookie.token(in: request) ?? "" }
        return try await request.decode(as: RefreshRequest.self, context: context).refreshToken
    }

    private func loginFailed(user: User?, reason: String, request: Request, context: AppRequestContext) async throws {
        Self.count(login: reason == "account_banned" ? "banned" : "invalid")
        try await jobs.enqueue([.audit(AuditEvent(
            .userLoginFailed, actorID: nil, targetType: user == nil ? nil : "user", targetID: user?.id,
            payload: ["reason": reason], request: request, context: context))])
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<TokenPair> {
        let cookieMode = try cookie.isRequested(by: request)
        let token = try await refreshToken(of: request, context: context, cookieMode: cookieMode)
        do {
            return cookie.answer(try await rotate(token, request: request, context: context), cookieMode: cookieMode)
        } catch var error as APIError where cookieMode {
            // A dead session's cookie is of no more use to the browser.
            error.headers[.setCookie] = cookie.clearing
            throw error
        }
    }

    private func rotate(_ token: String, request: Request, context: AppRequestContext) async throws -> TokenPair {
        do {
            let pair = try await sessions.refresh(token)
            Self.count(refresh: "rotated")
            return pair
        } catch Sessions.RefreshFailure.invalid {
            Self.count(refresh: "invalid")
            throw APIError.unauthorized("The refresh token is not valid", code: "invalid_refresh_token")
        } catch Sessions.RefreshFailure.banned {
            Self.count(refresh: "banned")
            throw APIError.forbidden("This account is banned", code: "account_banned")
        } catch Sessions.RefreshFailure.reused(let userID) {
            Self.count(refresh: "reused")
            context.logger.warning("auth.refresh_reuse: a rotated refresh token came back; its session is revoked",
                                   metadata: ["user_id": .string(userID)])
            try await jobs.enqueue([.audit(AuditEvent(
                .refreshTokenReused, actorID: nil, targetType: "user", targetID: userID, request: request, context: context))])
            throw APIError.unauthorized("The refresh token was already used; the session has been ended", code: "refresh_token_reused")
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let cookieMode = try cookie.isRequested(by: request)
        let token = try await refreshToken(of: request, context: context, cookieMode: cookieMode)
        if let userID = try await sessions.end(token) {
            try await jobs.enqueue([.audit(AuditEvent(.userLoggedOut, actorID: userID, request: request, context: context))])
        }
        return Response(status: .noContent, headers: cookieMode ? [.setCookie: cookie.clearing] : [:])
    }

    @Sendable func logoutAll(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        try await sessions.endAll(of: identity.userID)
        try await jobs.enqueue([.audit(AuditEvent(.userLoggedOutAll, actorID: identity.userID, request: request, context: context))])
        return .noContent
    }

    static let loginOutcomes = ["success", "invalid", "banned", "throttled", "shed"]
    static let refreshOutcomes = ["rotated", "invalid", "banned", "reused"]

    private static func counter(login outcome: String) -> Counter {
        Counter(label: "auth_logins_total", dimensions: [("outcome", outcome)])
    }

    private static func counter(refresh outcome: String) -> Counter {
        Counter(label: "auth_refreshes_total", dimensions: [("outcome", outcome)])
    }

    private static func count(login outcome: String) { counter(login: outcome).increment() }

    private static func count(refresh outcome: String) { counter(refresh: outcome).increment() }
}
