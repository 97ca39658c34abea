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

    /// What an owner may change; nil leaves a field as it is.
    struct Fields: Sendable {
        var title: String?
        var description: String?
        var visibility: String?
    }

    func update(_ id: UUID, with change: Fields, by identity: Identity, origin: AuditOrigin) async throws -> Video {
        guard change.title != nil || change.description != nil || change.visibility != nil else {
            throw APIError.invalid("give at least one of title, description and visibility", code: "empty_update")
        }
        let title = try change.title.map(text.title)
        let description = try change.description.map(text.description)
        let visibility = try change.visibility.map(text.visibility)
        return try await database.withTransaction(logger: logger) { connection in
            guard let head = try await store.lockForChange(id: id, on: connection) else { throw VideoPolicy.notFound }
            let access = VideoPolicy.access(status: head.status, visibility: head.visibility, ownerID: head.ownerID,
                                            ownerBanned: head.ownerBanned, by: identity)
            try VisibilityPolicy.require(.write, granted: access, notFound: VideoPolicy.notFound)
            try await store.update(id: id, title: title, description: description, visibility: visibility, on: connection)
            let fields = [("title", title), ("description", description), ("visibility", visibility?.rawValue)].filter { $0.1 != nil }.map(\.0)
            var payload = ["fields": fields.joined(separator: ",")]
            if let visibility { payload["visibility"] = visibility.rawValue }
            try await JobQueue.enqueue([.audit(AuditEvent(
                .videoUpdated, actorID: identity.userID, targetType: "video", targetID: id.uuidString.lowercased(),
                payload: payload, origin: origin))], on: connection, logger: logger)
            return try await store.find(id: id, on: connection)!
        }
    }

    /// Removes the row (and its playlist items) and then the files; a job still running finds
    /// no row when it finishes and removes what it made (see the Workers' video handlers).
    func delete(_ id: UUID, by identity: Identity, origin: AuditOrigin) async throws {
        let source = try await database.withTransaction(logger: logger) { connection -> String in
            guard let head = try await store.lockForChange(id: id, on: connection) else { throw VideoPolicy.notFound }
            let access = VideoPolicy.access(status: head.status, visibility: head.visibility, ownerID: head.ownerID,
                                            ownerBanned: head.ownerBanned, by: identity)
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
