import Foundation
import Hummingbird
import Shared

/// What an administrator looking at an account learns from ContentService: how much the user
/// owns. The account itself is AuthService's (`GET /api/admin/users/{id}`); neither service reads
/// the other's schema, so an admin client asks both (docs/api.md).
struct AdminController: Sendable {
    let authors: AuthorStore
    let jobs: JobQueue

    func addRoutes(to admin: RouterGroup<AppRequestContext>) {
        admin.get("users/:id/content", use: content)
    }

    /// `GET /api/admin/users/{id}/content`: `{posts, videos, playlists}`, zeros for a user this
    /// service has never heard of; 400 when `id` is no user id. Audited before it is answered.
    @Sendable func content(_ request: Request, context: AppRequestContext) async throws -> AuthorStore.Holdings {
        let admin = try context.requireIdentity()
        guard let userID = UUID(uuidString: try context.parameters.require("id")) else {
            throw APIError.badRequest("id must be a user id (a UUID)", code: "invalid_id")
        }
        let holdings = try await authors.holdings(of: userID)
        try await jobs.enqueue([.audit(AuditEvent(.userContentViewed, actorID: admin.userID, targetType: "user",
                                                  targetID: userID.uuidString.lowercased(), request: request, context: context))])
        return holdings
    }
}

extension AuthorStore.Holdings: ResponseEncodable {}
