import Foundation
import Logging
import Shared

/// Changes to a video by its owner or an administrator (`VideoPolicy`), each committed with its
/// audit event.
struct VideoEditor: Sendable {
    let database: Database
    let store: VideoStore
    let media: MediaLayout
    let logger: Logger

    /// Removes the row (and its playlist items) and then the files; a job still running finds
    /// no row when it finishes and removes what it made (see the Workers' video handlers).
    func delete(_ id: UUID, by identity: Identity, origin: AuditOrigin) async throws {
        let source = try await database.withTransaction(logger: logger) { connection -> String in
            guard let owner = try await store.lockOwner(id: id, on: connection) else { throw VideoPolicy.notFound }
            guard VideoPolicy.mayDelete(identity, ownerID: owner) else {
                throw APIError.forbidden("Only the owner or an administrator may delete this video")
            }
            let (_, source) = try await store.delete(id: id, on: connection)!
            try await JobQueue.enqueue([.audit(AuditEvent(
                .videoDeleted, actorID: identity.userID, targetType: "video", targetID: id.uuidString.lowercased(),
                payload: ["owner": owner], origin: origin))], on: connection, logger: logger)
            return source
        }
        media.removeFiles(of: id, original: source)
    }
}
