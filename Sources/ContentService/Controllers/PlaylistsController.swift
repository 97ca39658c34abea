import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Shared

/// `/api/playlists` and `GET /api/users/{id}/playlists`. Every route asks PlaylistPolicy; writes
/// lock the playlist row, so changes to one playlist apply one at a time.
struct PlaylistsController: Sendable {
    let database: Database
    let store: PlaylistStore
    let limits: PlaylistLimits
    let paging: PagingLimits
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
        group.post(":id/items", use: addItem)
        group.patch(":id/items/:itemId", use: moveItem)
        group.delete(":id/items/:itemId", use: removeItem)
    }

    func addUserRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(":userId/playlists", use: listOfUser)
    }

    struct CreateRequest: Decodable {
        var title: String
        var description: String?
        var visibility: String?
    }

    struct UpdateRequest: Decodable {
        var title: String?
        var description: String?
        var visibility: String?
    }

    struct AddItemRequest: Decodable {
        var videoId: String
    }

    struct MoveItemRequest: Decodable {
        var position: Int
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Playlist> {
        let identity = try context.requireIdentity()
        let owner = try PostsController.userID(identity)
        let body = try await request.decode(as: CreateRequest.self, context: context)
        let title = try limits.title(body.title)
        let description = try limits.description(body.description ?? "")
        let visibility = try limits.visibility(body.visibility ?? "private")
        let id = UUID()
        let playlist = try await database.withTransaction(logger: logger) { connection in
            try await store.insert(id: id, ownerID: owner, title: title, description: description, visibility: visibility, on: connection)
            try await audit("playlist.created", id, identity, ["visibility": visibility.rawValue], request, context, on: connection)
            return try await store.find(id: id, viewerID: identity.userID.lowercased(), on: connection)!
        }
        return EditedResponse(status: .created, headers: [.location: "/api/playlists/\(playlist.id)"], response: playlist)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Playlist {
        let id = try context.uuid("id", orElse: PlaylistPolicy.notFound)
        guard let head = try await store.head(id: id) else { throw PlaylistPolicy.notFound }
        try PlaylistPolicy.require(.read, visibility: head.visibility, ownerID: head.ownerID, ownerBanned: head.ownerBanned, by: context.identity)
        guard let playlist = try await store.find(id: id, viewerID: context.identity?.userID.lowercased()) else { throw PlaylistPolicy.notFound }
        return playlist
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Playlist {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: PlaylistPolicy.notFound)
        let change = try await request.decode(as: UpdateRequest.self, context: context)
        guard change.title != nil || change.description != nil || change.visibility != nil else {
            throw APIError.invalid("give at least one of title, description and visibility", code: "empty_update")
        }
        let title = try change.title.map(limits.title)
        let description = try change.description.map(limits.description)
        let visibility = try change.visibility.map(limits.visibility)
        return try await writing(id, identity) { connection in
            try await store.update(id: id, title: title, description: description, visibility: visibility, on: connection)
            let fields = [("title", title), ("description", description), ("visibility", visibility?.rawValue)].filter { $0.1 != nil }.map(\.0)
            var payload = ["fields": fields.joined(separator: ",")]
            if let visibility { payload["visibility"] = visibility.rawValue }
            try await audit("playlist.updated", id, identity, payload, request, context, on: connection)
            return try await store.find(id: id, viewerID: identity.userID.lowercased(), on: connection)!
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: PlaylistPolicy.notFound)
        try await writing(id, identity) { connection in
            try await store.delete(id: id, on: connection)
            try await audit("playlist.deleted", id, identity, [:], request, context, on: connection)
        }
        return .noContent
    }

    @Sendable func addItem(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Playlist> {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: PlaylistPolicy.notFound)
        let body = try await request.decode(as: AddItemRequest.self, context: context)
        guard let videoID = UUID(uuidString: body.videoId) else {
            throw APIError.invalid("videoId is not a video id", code: "unknown_video")
        }
        let playlist = try await writing(id, identity) { connection in
            switch try await store.add(videoID: videoID, to: id, by: identity.userID.lowercased(), maxItems: limits.maxItems, on: connection) {
            case .noSuchVideo: throw APIError.invalid("There is no video \(body.videoId)", code: "unknown_video")
            case .duplicate: throw APIError.conflict("The video is already in this playlist", code: "already_in_playlist")
            case .full: throw APIError.invalid("A playlist holds at most \(limits.maxItems) videos", code: "playlist_full")
            case .added(let item):
                try await audit("playlist.item_added", id, identity,
                                ["video_id": videoID.uuidString.lowercased(), "item_id": item.uuidString.lowercased()],
                                request, context, on: connection)
            }
            return try await store.find(id: id, viewerID: identity.userID.lowercased(), on: connection)!
        }
        return EditedResponse(status: .created, response: playlist)
    }

    @Sendable func moveItem(_ request: Request, context: AppRequestContext) async throws -> Playlist {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: PlaylistPolicy.notFound)
        let item = try context.uuid("itemId", orElse: Self.noSuchItem)
        let body = try await request.decode(as: MoveItemRequest.self, context: context)
        return try await writing(id, identity) { connection in
            switch try await store.move(itemID: item, in: id, to: body.position, on: connection) {
            case .noSuchItem: throw Self.noSuchItem
            case .outOfRange(let count): throw APIError.invalid("position must be 1 to \(count)", code: "invalid_position")
            case .moved:
                try await audit("playlist.updated", id, identity,
                                ["fields": "order", "item_id": item.uuidString.lowercased(), "position": String(body.position)],
                                request, context, on: connection)
            }
            return try await store.find(id: id, viewerID: identity.userID.lowercased(), on: connection)!
        }
    }

    @Sendable func removeItem(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: PlaylistPolicy.notFound)
        let item = try context.uuid("itemId", orElse: Self.noSuchItem)
        try await writing(id, identity) { connection in
            guard let video = try await store.remove(itemID: item, from: id, on: connection) else { throw Self.noSuchItem }
            try await audit("playlist.item_removed", id, identity,
                            ["video_id": video.uuidString.lowercased(), "item_id": item.uuidString.lowercased()],
                            request, context, on: connection)
        }
        return .noContent
    }

    @Sendable func listOfUser(_ request: Request, context: AppRequestContext) async throws -> OffsetPage<Playlist> {
        let owner = try context.uuid("userId", orElse: APIError.notFound("No such user"))
        let ownerID = owner.uuidString.lowercased()
        let page = try paging.offsetRequest(request.uri.queryParameters, listing: "the playlist listing")
        let visibilities = PlaylistPolicy.listed(ownerID: ownerID, ownerBanned: try await store.isBanned(userID: ownerID), by: context.identity)
        guard !visibilities.isEmpty else { return OffsetPage(items: [], request: page) }
        return OffsetPage(items: try await store.list(ownerID: ownerID, visibilities: visibilities, page: page), request: page)
    }

    /// Runs `body` in a transaction with the playlist locked, once the policy allows `identity` to change it.
    private func writing<T: Sendable>(_ id: UUID, _ identity: Identity, _ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withTransaction(logger: logger) { connection in
            guard let head = try await store.head(id: id, lockingOn: connection) else { throw PlaylistPolicy.notFound }
            try PlaylistPolicy.require(.write, visibility: head.visibility, ownerID: head.ownerID, ownerBanned: head.ownerBanned, by: identity)
            return try await body(connection)
        }
    }

    private func audit(_ action: String, _ id: UUID, _ identity: Identity, _ payload: [String: String],
                       _ request: Request, _ context: AppRequestContext, on connection: PostgresConnection) async throws {
        try await JobQueue.enqueue([.audit(AuditEvent(
            action, actorID: identity.userID, targetType: "playlist", targetID: id.uuidString.lowercased(),
            payload: payload, request: request, context: context))], on: connection, logger: logger)
    }

    static let noSuchItem = APIError.notFound("No such item in this playlist")
}
