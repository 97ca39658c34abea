import Foundation
import Logging
import Shared

/// Bans and unbans by an administrator, and the accounts they look up. A ban ends the user's
/// sessions and live access tokens in every service at once (`SessionEnd`) and tells the other
/// services (`user.changed`), which hide what the user published; an unban shows it again.
/// Every look-up is audited before it is answered: no audit event, no answer.
struct Moderation: Sendable {
    let users: UserStore
    let ending: SessionEnd
    let jobs: JobQueue
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
            guard let (changed, nickname) = try await users.setBanned(userID: userID, reason: reason, by: admin.userID, on: connection) else {
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

    /// The accounts `query` finds, a page from `page` on (one row past it); audited with the
    /// query's kind and how many it found, never its text (an address or a name).
    func search(_ query: AccountQuery, page: PageRequest, by admin: Identity, origin: AuditOrigin) async throws -> [(account: AdminAccountView, key: SortKey)] {
        let rows = try await users.search(query, page: page)
        let payload = ["kind": query.kind, "results": String(min(rows.count, page.size)), "page": page.isFirst ? "first" : "next"]
        // An id names an account, not a person: the event targets it.
        var target: String? = nil
        if case .id(let id) = query { target = id }
        try await jobs.enqueue([.audit(AuditEvent(.usersSearched, actorID: admin.userID, targetType: target.map { _ in "user" }, targetID: target,
                                                  payload: payload, origin: origin))])
        return rows
    }

    /// The account `userID` as administrators see it; 404 for no such account.
    func account(_ userID: String, by admin: Identity, origin: AuditOrigin) async throws -> AdminAccountView {
        guard let account = try await users.adminView(id: userID) else { throw APIError.notFound("No such user") }
        try await jobs.enqueue([.audit(AuditEvent(.userViewed, actorID: admin.userID, targetType: "user", targetID: account.id, origin: origin))])
        return account
    }
}
