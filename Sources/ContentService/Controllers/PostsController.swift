import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Shared

/// `/api/posts`: listings, the full post, writes by the author or an administrator, and likes.
struct PostsController: Sendable {
    let database: Database
    let store: PostStore
    let limits: PostLimits
    let paging: PagingLimits
    let cursors: PageCursor
    let cache: PageCache
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
        group.post(":id/like", use: like)
        group.delete(":id/like", use: unlike)
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
        let load: @Sendable () async throws -> RenderedPage = { [store, cursors] in
            let rows = try await store.summaries(listing.sql.query)
            return try PageResponse.render(PageResponse.page(rows, size: listing.page.size) { summary, micros in
                cursors.encode(listing.key(after: summary, micros: micros), listing: listing.fingerprint)
            })
        }
        let page = listing.page.isFirst
            ? try await cache.page(kind: "posts", listing: "\(listing.fingerprint)|\(listing.page.size)", load)
            : try await load()
        return PageResponse.response(page)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Post {
        let id = try Self.postID(context)
        guard let (post, hidden) = try await store.find(id: id), PostAccess.maySee(hidden: hidden, by: context.identity) else {
            throw APIError.notFound("No such post")
        }
        return post
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Post> {
        let identity = try context.requireIdentity()
        let author = try Self.userID(identity)
        let body = try await request.decode(as: CreateRequest.self, context: context)
        let text = try limits.body(body.body ?? "")
        let draft = PostStore.Draft(title: try limits.title(body.title), body: text, excerpt: limits.excerpt(of: text),
                                    tags: try limits.tags(body.tags ?? []))
        let post = try await database.withTransaction(logger: logger) { connection in
            let post = try await store.insert(draft, authorID: author, on: connection)
            try await JobQueue.enqueue([.audit(AuditEvent(
                "post.created", actorID: author, targetType: "post", targetID: String(post.id),
                payload: ["tags": post.tags.joined(separator: ",")], request: request, context: context))],
                on: connection, logger: logger)
            return post
        }
        await cache.invalidate()
        return EditedResponse(status: .created, headers: [.location: "/api/posts/\(post.id)"], response: post)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Post {
        let identity = try context.requireIdentity()
        let id = try Self.postID(context)
        let change = try await request.decode(as: UpdateRequest.self, context: context)
        guard change.title != nil || change.body != nil || change.tags != nil else {
            throw APIError.invalid("give at least one of title, body and tags", code: "empty_update")
        }
        let title = try change.title.map(limits.title)
        let text = try change.body.map(limits.body)
        let tags = try change.tags.map(limits.tags)
        let post = try await database.withTransaction(logger: logger) { connection in
            let current = try await lockedPost(id, for: identity, on: connection)
            let draft = PostStore.Draft(title: title ?? current.title, body: text ?? current.body,
                                        excerpt: limits.excerpt(of: text ?? current.body), tags: tags ?? current.tags)
            let post = try await store.update(id: id, to: draft, tagsChanged: tags != nil && tags != current.tags, on: connection)
            let fields = [("title", title), ("body", text), ("tags", tags.map { $0.joined() })].filter { $0.1 != nil }.map(\.0)
            try await JobQueue.enqueue([.audit(AuditEvent(
                "post.updated", actorID: identity.userID, targetType: "post", targetID: String(id),
                payload: ["fields": fields.joined(separator: ",")], request: request, context: context))],
                on: connection, logger: logger)
            return post
        }
        await cache.invalidate()
        return post
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try Self.postID(context)
        try await database.withTransaction(logger: logger) { connection in
            let post = try await lockedPost(id, for: identity, on: connection)
            try await store.delete(id: id, on: connection)
            try await JobQueue.enqueue([.audit(AuditEvent(
                "post.deleted", actorID: identity.userID, targetType: "post", targetID: String(id),
                payload: ["author": post.authorId], request: request, context: context))],
                on: connection, logger: logger)
        }
        await cache.invalidate()
        return .noContent
    }

    @Sendable func like(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await setLike(true, request: request, context: context)
    }

    @Sendable func unlike(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await setLike(false, request: request, context: context)
    }

    /// 204 whether or not it changed anything: liking twice is liking once.
    private func setLike(_ liked: Bool, request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let user = try Self.userID(identity)
        let id = try Self.postID(context)
        let outcome = try await database.withTransaction(logger: logger) { connection in
            let outcome = try await store.setLike(postID: id, userID: user, liked: liked, on: connection)
            if outcome == .changed {
                try await JobQueue.enqueue([.audit(AuditEvent(
                    liked ? "post.liked" : "post.unliked", actorID: user, targetType: "post", targetID: String(id),
                    request: request, context: context))], on: connection, logger: logger)
            }
            return outcome
        }
        guard outcome != .noSuchPost else { throw APIError.notFound("No such post") }
        return .noContent
    }

    /// The post, locked, when `identity` may change it: 404 when there is none (or it is hidden
    /// from them), 403 when it is someone else's.
    private func lockedPost(_ id: Int64, for identity: Identity, on connection: PostgresConnection) async throws -> Post {
        guard let (authorID, hidden) = try await store.lockForChange(id: id, on: connection),
              PostAccess.maySee(hidden: hidden, by: identity)
        else { throw APIError.notFound("No such post") }
        guard PostAccess.mayChange(identity, authorID: authorID) else {
            throw APIError.forbidden("Only the author or an administrator may change this post")
        }
        return try await store.find(id: id, on: connection)!.post
    }

    static func postID(_ context: AppRequestContext) throws -> Int64 {
        guard let id = Int64(try context.parameters.require("id")), id > 0 else { throw APIError.notFound("No such post") }
        return id
    }

    /// Content keys users by the UUIDs AuthService gives them.
    static func userID(_ identity: Identity) throws -> String {
        guard let id = UUID(uuidString: identity.userID) else { throw APIError.forbidden("This account cannot write posts") }
        return id.uuidString.lowercased()
    }
}
