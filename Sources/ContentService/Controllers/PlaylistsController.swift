import Foundation
import Hummingbird
import Shared

/// `/api/playlists` and `GET /api/users/{id}/playlists`. Reads ask `VisibilityPolicy`; writes go
/// through `PlaylistEditor`.
struct PlaylistsController: Sendable {
    let store: PlaylistStore
    let authors: AuthorStore
    let editor: PlaylistEditor
    let paging: PagingLimits
    let cursors: PageCursor

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: listPublic)
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

    struct AddItemRequest: Decodable {
        var videoId: String
    }

    struct MoveItemRequest: Decodable {
        var position: Int
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Playlist> {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: CreateRequest.self, context: context)
        let playlist = try await editor.create(.init(title: body.title, description: body.description, visibility: body.visibility),
                                               by: identity, origin: AuditOrigin(request, context))
        return EditedResponse(status: .created, headers: [.location: "/api/playlists/\(playlist.id)"], response: playlist)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Playlist {
        let id = try context.uuid("id", orElse: Playlist.notFound)
        guard let head = try await store.head(id: id) else { throw Playlist.notFound }
        try VisibilityPolicy.require(.read, granted: head.access(by: context.identity), notFound: Playlist.notFound)
        guard let playlist = try await store.find(id: id, viewerID: context.identity?.userID.lowercased()) else { throw Playlist.notFound }
        return playlist
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Playlist {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: Playlist.notFound)
        let change = try await request.decode(as: ItemText.Fields.self, context: context)
        return try await editor.update(id, with: change, by: identity, origin: AuditOrigin(request, context))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        try await editor.delete(try context.uuid("id", orElse: Playlist.notFound), by: identity, origin: AuditOrigin(request, context))
        return .noContent
    }

    @Sendable func addItem(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Playlist> {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: Playlist.notFound)
        let body = try await request.decode(as: AddItemRequest.self, context: context)
        let playlist = try await editor.add(video: body.videoId, to: id, by: identity, origin: AuditOrigin(request, context))
        return EditedResponse(status: .created, response: playlist)
    }

    @Sendable func moveItem(_ request: Request, context: AppRequestContext) async throws -> Playlist {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: Playlist.notFound)
        let item = try context.uuid("itemId", orElse: PlaylistEditor.noSuchItem)
        let body = try await request.decode(as: MoveItemRequest.self, context: context)
        return try await editor.move(item: item, in: id, to: body.position, by: identity, origin: AuditOrigin(request, context))
    }

    @Sendable func removeItem(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: Playlist.notFound)
        let item = try context.uuid("itemId", orElse: PlaylistEditor.noSuchItem)
        try await editor.remove(item: item, from: id, by: identity, origin: AuditOrigin(request, context))
        return .noContent
    }

    /// `GET /api/playlists`: everyone's public playlists, newest first, by keyset cursor.
    @Sendable func listPublic(_ request: Request, context: AppRequestContext) async throws -> Page<Playlist> {
        let listing = Paging(fingerprint: "playlists|public", style: .cursor, items: "playlists", isID: Paging.uuids)
        let page = try paging.request(request.uri.queryParameters, cursors: cursors, paging: listing)
        return Page(rows: try await store.listPublic(page: page), request: page, limits: paging, cursors: cursors, paging: listing,
                    item: \.playlist, key: \.key)
    }

    /// `GET /api/users/{id|me}/playlists`, newest first, by keyset cursor: all of them to their
    /// owner, the public ones to others, none of a banned owner's; 404 for a user nobody knows.
    @Sendable func listOfUser(_ request: Request, context: AppRequestContext) async throws -> Page<Playlist> {
        let noSuchUser = APIError.notFound("No such user")
        guard let ownerID = try Ownership.user(named: try context.parameters.require("userId"), by: context.identity) else { throw noSuchUser }
        let standing = try await authors.standing(of: ownerID)
        guard standing != .unknown || Ownership.owns(context.identity, ownerID) else { throw noSuchUser }
        let visibilities = VisibilityPolicy.listed(ownerID: ownerID, ownerBanned: standing == .banned, by: context.identity)
        let listing = Paging(fingerprint: "playlists|\(ownerID)|\(visibilities.map(\.rawValue).joined(separator: ","))", style: .cursor,
                             items: "playlists", isID: Paging.uuids)
        let page = try paging.request(request.uri.queryParameters, cursors: cursors, paging: listing)
        guard !visibilities.isEmpty else { return Page(items: []) }
        return Page(rows: try await store.list(ownerID: ownerID, visibilities: visibilities, page: page), request: page, limits: paging,
                    cursors: cursors, paging: listing, item: \.playlist, key: \.key)
    }
}
