import Foundation
import Hummingbird
import Shared

/// `/api/posts`: listings, the full post, writes by the author or an administrator, and likes.
struct PostsController: Sendable {
    let store: PostStore
    let editor: PostEditor
    let limits: PostLimits
    let paging: PagingLimits
    let cursors: PageCursor
    let cache: PageCache
    let marks: LikeMarks

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
        group.post(":id/like", use: like)
        group.delete(":id/like", use: unlike)
    }

    func addUserRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("me/likes", use: myLikes)
    }

    struct CreateRequest: Decodable {
        var title: String
        var body: String?
        var tags: [String]?
    }

    struct UpdateRequest: Decodable {
        var title: String?
        var body: String?
        var tags: [String]?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let listing = try PostListing(query: request.uri.queryParameters, limits: paging, postLimits: limits, cursors: cursors)
        let load: @Sendable () async throws -> RenderedPage = { [store, cursors, paging] in
            let rows = try await store.summaries(listing.sql.query)
            return try PageResponse.render(PageResponse.page(rows, request: listing.page, limits: paging, cursors: cursors,
                                                             paging: listing.paging, key: listing.key(after:micros:)))
        }
        let page = listing.page.isFirst
            ? try await cache.page(kind: "posts", listing: "\(listing.fingerprint)|\(listing.page.size)", load)
            : try await load()
        return PageResponse.response(try await marks.mark(page, for: context.identity))
    }

    /// `GET /api/users/me/likes`: the posts the caller likes, the newest like first, by cursor.
    @Sendable func myLikes(_ request: Request, context: AppRequestContext) async throws -> Page<PostSummary> {
        let user = try Ownership.ownerID(of: try context.requireIdentity())
        let listing = Paging(fingerprint: "likes|\(user)", style: .cursor, items: "likes", isID: Paging.postIDs)
        let page = try paging.request(request.uri.queryParameters, cursors: cursors, paging: listing)
        return PageResponse.page(try await store.likes(of: user, page: page), request: page, limits: paging, cursors: cursors,
                                 paging: listing) { summary, micros in SortKey(value: micros, id: summary.id) }
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Post {
        let id = try Self.postID(context)
        guard let (post, hidden) = try await store.find(id: id), PostAccess.maySee(hidden: hidden, by: context.identity) else {
            throw PostEditor.notFound
        }
        return try await marks.mark(post, for: context.identity)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Post> {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: CreateRequest.self, context: context)
        var post = try await editor.create(.init(title: body.title, body: body.body, tags: body.tags), by: identity,
                                           origin: AuditOrigin(request, context))
        await cache.invalidate()
        post.likedByMe = false  // nobody likes a post yet that was written a moment ago
        return EditedResponse(status: .created, headers: [.location: "/api/posts/\(post.id)"], response: post)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Post {
        let identity = try context.requireIdentity()
        let id = try Self.postID(context)
        let change = try await request.decode(as: UpdateRequest.self, context: context)
        let post = try await editor.update(id, with: .init(title: change.title, body: change.body, tags: change.tags), by: identity,
                                           origin: AuditOrigin(request, context))
        await cache.invalidate()
        return try await marks.mark(post, for: identity)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        try await editor.delete(try Self.postID(context), by: identity, origin: AuditOrigin(request, context))
        await cache.invalidate()
        return .noContent
    }

    /// 204 whether or not it changed anything: liking twice is liking once.
    @Sendable func like(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        try await editor.setLike(true, on: try Self.postID(context), by: identity, origin: AuditOrigin(request, context))
        return .noContent
    }

    @Sendable func unlike(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        try await editor.setLike(false, on: try Self.postID(context), by: identity, origin: AuditOrigin(request, context))
        return .noContent
    }

    static func postID(_ context: AppRequestContext) throws -> Int64 {
        guard let id = Int64(try context.parameters.require("id")), id > 0 else { throw PostEditor.notFound }
        return id
    }
}
