import Foundation
import Logging
import Shared

/// What a user changes about how others see them: the nickname, shown beside everything they
/// publish. Nicknames are not unique (docs/api.md): listings name the author by id as well.
struct Profile: Sendable {
    let database: Database
    let users: UserStore
    let logger: Logger

    /// Sets the nickname and tells the other services, in one transaction.
    func rename(userID: String, nickname rawNickname: String, origin: AuditOrigin) async throws -> User {
        let nickname = try Credentials.validNickname(rawNickname)
        return try await database.withTransaction(logger: logger) { connection in
            guard let (user, change) = try await users.setNickname(userID: userID, nickname: nickname, on: connection) else {
                throw APIError.unauthorized("The account no longer exists", code: "invalid_token")
            }
            try await JobQueue.enqueue([
                .audit(AuditEvent(.userNicknameChanged, actorID: user.id, targetType: "user", targetID: user.id, origin: origin)),
                .userChange(change),
            ], on: connection, logger: logger)
            return user
        }
    }
}
