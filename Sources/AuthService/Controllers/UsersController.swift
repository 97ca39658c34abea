import Hummingbird
import Shared

/// `/api/users/me`: the caller's account, and what they change about it.
struct UsersController: Sendable {
    let users: UserStore
    let profile: Profile

    func addRoutes(to authenticated: RouterGroup<AppRequestContext>) {
        authenticated.get("me", use: me)
        authenticated.patch("me", use: edit)
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
