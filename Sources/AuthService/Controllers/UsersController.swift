import Hummingbird
import Shared

/// `/api/users/me`.
struct UsersController: Sendable {
    let users: UserStore

    func addRoutes(to authenticated: RouterGroup<AppRequestContext>) {
        authenticated.get("me", use: me)
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> UserView {
        let identity = try context.requireIdentity()
        guard let user = try await users.find(id: identity.userID) else {
            throw APIError.unauthorized("The account no longer exists", code: "invalid_token")
        }
        return user.publicView
    }
}
