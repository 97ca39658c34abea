import Foundation
import Hummingbird
import Logging
import Shared

/// Bans and unbans, for ADMIN callers only.
struct AdminController: Sendable {
    let users: UserStore
    let sessions: Sessions
    let logger: Logger

    static let maxReasonLength = 500

    func addRoutes(to admin: RouterGroup<AppRequestContext>) {
        admin.post("users/:id/ban", use: ban)
        admin.post("users/:id/unban", use: unban)
    }

    struct BanRequest: Decodable {
        var reason: String
    }

    /// Bans the user and ends their sessions and live access tokens in every service at once.
    @Sendable func ban(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let admin = try context.requireIdentity()
        let userID = try context.parameters.require("id").lowercased()
        let reason = try TextRule(field: "reason", scalars: 1...Self.maxReasonLength, multiline: true)
            .check(try await request.decode(as: BanRequest.self, context: context).reason.trimmingWhitespace())
        guard userID != admin.userID else {
            throw APIError.conflict("Administrators cannot ban themselves", code: "cannot_ban_self")
        }
        // Also when already banned: a repeated ban is how an operator makes sure.
        try await setBanned(userID, reason: reason, by: admin, request: request, context: context)
        return .noContent
    }

    @Sendable func unban(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let admin = try context.requireIdentity()
        let userID = try context.parameters.require("id").lowercased()
        try await setBanned(userID, reason: nil, by: admin, request: request, context: context)
        return .noContent
    }

    /// Bans (with a reason) or unbans, auditing a change in the same transaction; 404 for no such
    /// user. A ban ends the user's sessions and live access tokens in every service at once.
    private func setBanned(_ userID: String, reason: String?, by admin: Identity, request: Request, context: AppRequestContext) async throws {
        _ = try await sessions.ending.commit { connection in
            guard let (changed, nickname) = try await users.setBanned(userID: userID, reason: reason, on: connection) else {
                throw APIError.notFound("No such user")
            }
            if changed {
                let event = AuditEvent(
                    reason == nil ? .userUnbanned : .userBanned, actorID: admin.userID, targetType: "user",
                    targetID: userID, payload: reason.map { ["reason": $0] } ?? [:], request: request, context: context)
                try await JobQueue.enqueue([
                    .audit(event), .userChange(UserChange(userID: userID, nickname: nickname, banned: reason != nil)),
                ], on: connection, logger: logger)
            }
            return ((), reason == nil ? nil : userID)
        }
    }
}
