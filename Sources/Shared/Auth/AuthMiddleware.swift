import Hummingbird

/// Reads `Authorization: Bearer <token>`, verifies it, refuses it when its user's tokens were
/// revoked after it was issued (ban, logout-all, password reset), and puts the caller in the
/// context.
///
/// With `required: false` a request without a token passes as anonymous, but a request with a bad
/// token is still refused: a client that believes it is signed in should learn that it is not.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let verifier: AccessTokenVerifier
    let revocations: RevocationList
    let required: Bool

    public init(verifier: AccessTokenVerifier, revocations: RevocationList, required: Bool = true) {
        self.verifier = verifier
        self.revocations = revocations
        self.required = required
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            if required { throw APIError.unauthorized() }
            return try await next(request, context)
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw APIError.unauthorized("Authorization must be a Bearer token", code: "invalid_token")
        }
        let identity: Identity
        do {
            identity = try await verifier.verify(String(header.dropFirst(7)))
        } catch let failure as AccessTokenVerifier.Failure {
            let message = failure == .expired ? "The access token has expired" : "The access token is not valid"
            throw APIError.unauthorized(message, code: failure == .expired ? "token_expired" : "invalid_token")
        }
        if try await revocations.isRevoked(identity) {
            throw APIError.unauthorized("The access token has been revoked", code: "token_revoked")
        }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "user_id"] = .string(identity.userID)
        return try await next(request, context)
    }
}

/// Lets only ADMIN callers through (after `AuthMiddleware`).
public struct RequireAdminMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard try context.requireIdentity().isAdmin else { throw APIError.forbidden("Administrators only") }
        return try await next(request, context)
    }
}
