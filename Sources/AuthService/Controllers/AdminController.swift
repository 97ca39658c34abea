import Foundation
import Hummingbird
import Shared

/// Bans and unbans, for ADMIN callers only.
struct AdminController: Sendable {
    let moderation: Moderation

    func addRoutes(to admin: RouterGroup<AppRequestContext>) {
        admin.post("users/:id/ban", use: ban)
        admin.post("users/:id/unban", use: unban)
    }

    struct BanRequest: Decodable {
        var reason: String
    }

    @Sendable func ban(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let admin = try context.requireIdentity()
        let userID = try context.parameters.require("id").lowercased()
        let body = try await request.decode(as: BanRequest.self, context: context)
        try await moderation.setBanned(userID, reason: body.reason, by: admin, origin: AuditOrigin(request, context))
        return .noContent
    }

    @Sendable func unban(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let admin = try context.requireIdentity()
        let userID = try context.parameters.require("id").lowercased()
        try await moderation.setBanned(userID, reason: nil, by: admin, origin: AuditOrigin(request, context))
        return .noContent
    }
}
