import Foundation
import Logging
import PostgresNIO
import Shared

/// Every change to playlists: the input checked against `PlaylistLimits`, the right checked by
/// `VisibilityPolicy` with the playlist's row locked (so changes to one playlist apply one at a
/// time), and the change and its audit event committed in one transaction. Each returns the
/// playlist as its owner now sees it.
struct PlaylistEditor: Sendable {
    let database: Database
    let store: PlaylistStore
    let limits: PlaylistLimits
    let logger: Logger

    func create(_ fields: ItemText.Fields, by identity: Identity, origin: AuditOrigin) async throws -> Playlist {
        let owner = try Ownership.ownerID(of: identity)
        let title = try limits.text.title(fields.title ?? "")
        let description = try limits.text.description(fields.description ?? "")
        let visibility = try limits.text.visibility(fields.visibility ?? "private")
        let id = UUID()
        return try await database.withTransaction(logger: logger) { connection in
            try await store.insert(id: id, ownerID: owner, title: title, description: description, visibility: visibility, on: connection)
            try await audit(.playlistCreated, id, identity, ["visibility": visibility.rawValue], origin, on: connection)
            return try await store.find(id: id, viewerID: owner, on: connection)!
        }
    }

    func update(_ id: UUID, with fields: ItemText.Fields, by identity: Identity, origin: AuditOrigin) async throws -> Playlist {
        let change = try limits.text.change(fields)
        return try await writing(id, identity) { connection in
            try await store.update(id: id, title: change.title, description: change.description, visibility: change.visibility, on: connection)
            try await audit(.playlistUpdated, id, identity, change.auditPayload, origin, on: connection)
            return try await store.find(id: id, viewerID: identity.userID.lowercased(), on: connection)!
        }
    }

    func delete(_ id: UUID, by identity: Identity, origin: AuditOrigin) async throws {
        try await writing(id, identity) { connection in
            try await store.delete(id: id, on: connection)
            try await audit(.playlistDeleted, id, identity, [:], origin, on: connection)
        }
    }

    func add(video videoID: String, to id: UUID, by identity: Identity, origin: AuditOrigin) async throws -> Playlist {
        guard let video = UUID(uuidString: videoID) else { throw APIError.invalid("videoId is not a video id", code: "unknown_video") }
        return try await writing(id, identity) { connection in
            switch try await store.add(videoID: video, to: id, by: identity.userID.lowercased(), maxItems: limits.maxItems, on: connection) {
            case .noSuchVideo: throw APIError.invalid("There is no video \(videoID)", code: "unknown_video")
            case .duplicate: throw APIError.conflict("The video is already in this playlist", code: "already_in_playlist")
            case .full: throw APIError.invalid("A playlist holds at most \(limits.maxItems) videos", code: "playlist_full")
            case .added(let item):
                try await audit(.playlistItemAdded, id, identity,
                                ["video_id": video.uuidString.lowercased(), "item_id": item.uuidString.lowercased()], origin, on: connection)
            }
            return try await store.find(id: id, viewerID: identity.userID.lowercased(), on: connection)!
        }
    }

    func move(item: UUID, in id: UUID, to position: Int, by identity: Identity, origin: AuditOrigin) async throws -> Playlist {
        try await writing(id, identity) { connection in
            switch try await store.move(itemID: item, in: id, to: position, on: connection) {
            case .noSuchItem: throw Self.noSuchItem
            case .outOfRange(let count): throw APIError.invalid("position must be 1 to \(count)", code: "invalid_position")
            case .moved:
                try await audit(.playlistUpdated, id, identity,
                                ["fields": "order", "item_id": item.uuidString.lowercased(), "position": String(position)],
                                origin, on: connection)
            }
            return try await store.find(id: id, viewerID: identity.userID.lowercased(), on: connection)!
        }
    }

    func remove(item: UUID, from id: UUID, by identity: Identity, origin: AuditOrigin) async throws {
        try await writing(id, identity) { connection in
            guard let video = try await store.remove(itemID: item, from: id, on: connection) else { throw Self.noSuchItem }
            try await audit(.playlistItemRemoved, id, identity,
                            ["video_id": video.uuidString.lowercased(), "item_id": item.uuidString.lowercased()], origin, on: connection)
        }
    }

    /// Runs `body` in a transaction with the playlist locked, once the policy allows `identity` to change it.
    private func writing<T: Sendable>(_ id: UUID, _ identity: Identity, _ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withTransaction(logger: logger) { connection in
            guard let head = try await store.head(id: id, lockingOn: connection) else { throw Playlist.notFound }
            try VisibilityPolicy.require(.write, granted: head.access(by: identity), notFound: Playlist.notFound)
            return try await body(connection)
        }
    }

    private func audit(_ action: AuditAction, _ id: UUID, _ identity: Identity, _ payload: [String: String], _ origin: AuditOrigin,
                       on connection: PostgresConnection) async throws {
        try await JobQueue.enqueue([.audit(AuditEvent(action, actorID: identity.userID, targetType: "playlist",
                                                      targetID: id.uuidString.lowercased(), payload: payload, origin: origin))],
                                   on: connection, logger: logger)
    }

    static let noSuchItem = APIError.notFound("No such item in this playlist")
}
