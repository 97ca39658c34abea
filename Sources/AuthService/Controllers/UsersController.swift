import Hummingbird
import Shared

/// `/api/users/me`: the caller's account, and what they change about it.
struct UsersController: Sendable {
    let users: UserStore
    let profile: Profile
    let deletion: AccountDeletion

    func addRoutes(to authenticated: RouterGroup<AppRequestContext>) {
        authenticated.get("me", use: me)
        authenticated.patch("me", use: edit)
        authenticated.delete("me", use: delete)
    }

    struct DeleteRequest: Decodable {
        var password: String
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: DeleteRequest.self, context: context)
        try await deletion.delete(userID: identity.userID, password: body.password, origin: AuditOrigin(request, context))
        return .noContent
    }

    struct EditRequest: Decodable {
        var nickname: String
    }

    @Sendable func edit(_ request: Request, context: AppRequestContext) async throws -> UserView {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: EditRequest.self, context: context)
        return try await profile.rename(userID: identity.userID, nickname: body.nickname, origin: AuditOrigin(request, context)).publicView
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> UserView {
        let identity = try context.requireIdentity()
        guard let user = try await users.find(id: identity.userID) else {
            throw APIError.unauthorized("The account no longer exists", code: "invalid_token")
        }
        return user.publicView
    }
}
