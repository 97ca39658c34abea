import Foundation
import Hummingbird
import Shared

/// The account search, an account, bans and unbans, for ADMIN callers only.
struct AdminController: Sendable {
    let moderation: Moderation
    let cursors: PageCursor
    var paging = PagingLimits()

    func addRoutes(to admin: RouterGroup<AppRequestContext>) {
        admin.get("users", use: search)
        admin.get("users/:id", use: show)
        admin.post("users/:id/ban", use: ban)
        admin.post("users/:id/unban", use: unban)
    }

    /// `GET /api/admin/users?query&cursor&size`: the accounts `query` finds (`AccountQuery`),
    /// newest first, by keyset cursor.
    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Page<AdminAccountView> {
        let admin = try context.requireIdentity()
        let parameters = request.uri.queryParameters
        let query = try AccountQuery(parameters.get("query"))
        let listing = query.paging
        let page = try paging.request(parameters, cursors: cursors, paging: listing)
        let rows = try await moderation.search(query, page: page, by: admin, origin: AuditOrigin(request, context))
        return Page(rows: rows, request: page, limits: paging, cursors: cursors, paging: listing, item: \.account, key: \.key)
    }

    /// `GET /api/admin/users/{id}`: one account; what it owns is ContentService's to count.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> AdminAccountView {
        let admin = try context.requireIdentity()
        let userID = try context.parameters.require("id").lowercased()
        return try await moderation.account(userID, by: admin, origin: AuditOrigin(request, context))
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

extension AdminAccountView: ResponseEncodable {}
