import Logging
import Shared

/// Forgets a deleted account's personal data in what the Workers keep (`UserErasure`).
/// Idempotent: a second run finds nothing left to clear.
struct UserErasureHandler: JobHandler {
    let database: Database

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        let erasure = try job.decodePayload(as: UserErasure.self)
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query("""
                UPDATE audit.events SET client_address = NULL, user_agent = NULL,
                    payload = payload - 'question' - CASE WHEN action = 'admin.user_banned' THEN 'reason' ELSE '' END
                WHERE actor_id = \(erasure.userID) OR (target_type = 'user' AND target_id = \(erasure.userID))
                """, logger: logger)
            try await connection.query("DELETE FROM queue.email_deliveries WHERE recipient = \(erasure.email)", logger: logger)
        }
    }
}
