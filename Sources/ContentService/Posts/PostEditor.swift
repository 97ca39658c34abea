import Foundation
import Logging
import PostgresNIO
import Shared

/// Every change to posts and likes: the input checked against `PostLimits`, the author's right
/// checked by `PostAccess`, and the change and its audit event committed in one transaction.
struct PostEditor: Sendable {
    let database: Database
    let store: PostStore
    let limits: PostLimits
    let logger: Logger

    /// What a client may send for a post; nil leaves a field as it is (on an edit).
    struct Fields: Sendable {
        var title: String?
        var body: String?
        var tags: [String]?
    }

    func create(_ fields: Fields, by identity: Identity, origin: AuditOrigin) async throws -> Post {
        let author = try Ownership.ownerID(of: identity)
        let text = try limits.body(fields.body ?? "")
        let draft = PostStore.Draft(title: try limits.title(fields.title ?? ""), body: text, excerpt: limits.excerpt(of: text),
                                    tags: try limits.tags(fields.tags ?? []))
        return try await database.withTransaction(logger: logger) { connection in
            let post = try await store.insert(draft, authorID: author, on: connection)
            try await audit(.postCreated, post.id, by: author, ["tags": post.tags.joined(separator: ",")], origin, on: connection)
            return post
        }
    }

    func update(_ id: Int64, with change: Fields, by identity: Identity, origin: AuditOrigin) async throws -> Post {
        guard change.title != nil || change.body != nil || change.tags != nil else {
            throw APIError.invalid("give at least one of title, body and tags", code: "empty_update")
        }
        let title = try change.title.map(limits.title)
        let text = try change.body.map(limits.body)
        let tags = try change.tags.map(limits.tags)
        return try await database.withTransaction(logger: logger) { connection in
            let current = try await lockedPost(id, for: identity, on: connection)
            let draft = PostStore.Draft(title: title ?? current.title, body: text ?? current.body,
                                        excerpt: limits.excerpt(of: text ?? current.body), tags: tags ?? current.tags)
            let post = try await store.update(id: id, to: draft, tagsChanged: tags != nil && tags != current.tags, on: connection)
            let fields = [("title", title), ("body", text), ("tags", tags.map { $0.joined() })].filter { $0.1 != nil }.map(\.0)
            try await audit(.postUpdated, id, by: identity.userID, ["fields": fields.joined(separator: ",")], origin, on: connection)
            return post
        }
    }

    func delete(_ id: Int64, by identity: Identity, origin: AuditOrigin) async throws {
        try await database.withTransaction(logger: logger) { connection in
            let post = try await lockedPost(id, for: identity, on: connection)
            try await store.delete(id: id, on: connection)
            try await audit(.postDeleted, id, by: identity.userID, ["author": post.authorId], origin, on: connection)
        }
    }

    /// Liking twice is liking once: only a change is recorded. 404 for a post that is not there.
    func setLike(_ liked: Bool, on id: Int64, by identity: Identity, origin: AuditOrigin) async throws {
        let user = try Ownership.ownerID(of: identity)
        let outcome = try await database.withTransaction(logger: logger) { connection in
            let outcome = try await store.setLike(postID: id, userID: user, liked: liked, on: connection)
            if outcome == .changed {
                try await audit(liked ? .postLiked : .postUnliked, id, by: user, [:], origin, on: connection)
            }
            return outcome
        }
        guard outcome != .noSuchPost else { throw Self.notFound }
    }

    /// The post, locked, when `identity` may change it: 404 when there is none (or it is hidden
    /// from them), 403 when it is someone else's.
    private func lockedPost(_ id: Int64, for identity: Identity, on connection: PostgresConnection) async throws -> Post {
        guard let (authorID, hidden) = try await store.lockForChange(id: id, on: connection),
              PostAccess.maySee(hidden: hidden, by: identity)
        else { throw Self.notFound }
        guard PostAccess.mayChange(identity, authorID: authorID) else {
            throw APIError.forbidden("Only the author or an administrator may change this post")
        }
        return try await store.find(id: id, on: connection)!.post
    }

    private func audit(_ action: AuditAction, _ id: Int64, by actor: String, _ payload: [String: String], _ origin: AuditOrigin,
                       on connection: PostgresConnection) async throws {
        try await JobQueue.enqueue([.audit(AuditEvent(action, actorID: actor, targetType: "post", targetID: String(id),
                                                      payload: payload, origin: origin))], on: connection, logger: logger)
    }

    static let notFound = APIError.notFound("No such post")
}
