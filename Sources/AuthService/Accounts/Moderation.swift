import Foundation
import Logging
import Shared

/// Bans and unbans by an administrator. A ban ends the user's sessions and live access tokens in
/// every service at once (`SessionEnd`) and tells the other services (`user.changed`), which hide
/// what the user published; an unban shows it again.
struct Moderation: Sendable {
    let users: UserStore
    let ending: SessionEnd
    let logger: Logger

    static let maxReasonLength = 500

    /// Bans with a reason, or unbans with none; 404 for no such user. A change is audited in the
    /// same transaction; a repeated ban changes nothing but ends the sessions again (how an
    /// operator makes sure).
    func setBanned(_ userID: String, reason rawReason: String?, by admin: Identity, origin: AuditOrigin) async throws {
        let reason = try rawReason.map {
            try TextRule(field: "reason", scalars: 1...Self.maxReasonLength, multiline: true).check($0.trimmingWhitespace())
        }
        if reason != nil, userID == admin.userID.lowercased() {
            throw APIError.conflict("Administrators cannot ban themselves", code: "cannot_ban_self")
        }
        _ = try await ending.commit { connection in
            guard let (changed, nickname) = try await users.setBanned(userID: userID, reason: reason, on: connection) else {
                throw APIError.notFound("No such user")
            }
            if changed {
                try await JobQueue.enqueue([
                    .audit(AuditEvent(reason == nil ? .userUnbanned : .userBanned, actorID: admin.userID, targetType: "user",
                                      targetID: userID, payload: reason.map { ["reason": $0] } ?? [:], origin: origin)),
                    .userChange(UserChange(userID: userID, nickname: nickname, banned: reason != nil)),
                ], on: connection, logger: logger)
            }
            return ((), reason == nil ? nil : userID)
        }
    }
}
