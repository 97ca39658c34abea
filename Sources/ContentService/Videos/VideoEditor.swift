import Foundation
import Logging
import Shared

/// Changes to a video: its owner edits it, its owner or an administrator who can see it deletes
/// it (`VideoPolicy`), each committed with its audit event.
struct VideoEditor: Sendable {
    let database: Database
    let store: VideoStore
    let media: MediaLayout
    let text: ItemText
    let logger: Logger

    func update(_ id: UUID, with fields: ItemText.Fields, by identity: Identity, origin: AuditOrigin) async throws -> Video {
        let change = try text.change(fields)
        return try await database.withTransaction(logger: logger) { connection in
            guard let head = try await store.head(id: id, lockingOn: connection) else { throw VideoPolicy.notFound }
            try VisibilityPolicy.require(.write, granted: head.access(by: identity), notFound: VideoPolicy.notFound)
            try await store.update(id: id, title: change.title, description: change.description, visibility: change.visibility, on: connection)
            try await JobQueue.enqueue([.audit(AuditEvent(
                .videoUpdated, actorID: identity.userID, targetType: "video", targetID: id.uuidString.lowercased(),
                payload: change.auditPayload, origin: origin))], on: connection, logger: logger)
            return try await store.find(id: id, on: connection)!
        }
    }

    /// Removes the row (and its playlist items) and then the files; a job still running finds
    /// no row when it finishes and removes what it made (see the Workers' video handlers).
    func delete(_ id: UUID, by identity: Identity, origin: AuditOrigin) async throws {
        let source = try await database.withTransaction(logger: logger) { connection -> String in
            guard let head = try await store.head(id: id, lockingOn: connection) else { throw VideoPolicy.notFound }
            let access = head.access(by: identity)
            guard access > .none else { throw VideoPolicy.notFound }
            guard VideoPolicy.mayDelete(access, by: identity) else {
                throw APIError.forbidden("Only the owner or an administrator may delete this video")
            }
            let (_, source) = try await store.delete(id: id, on: connection)!
            try await JobQueue.enqueue([.audit(AuditEvent(
                .videoDeleted, actorID: identity.userID, targetType: "video", targetID: id.uuidString.lowercased(),
                payload: ["owner": head.ownerID], origin: origin))], on: connection, logger: logger)
            return source
        }
        media.removeFiles(of: id, original: source)
    }
}
