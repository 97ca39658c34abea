import Foundation
import NIOCore
import Shared

/// Which posts of a page the signed-in caller likes (`likedByMe`). First pages are cached for
/// everyone, so the marks go on after the cache, per caller: one lookup of the page's ids in the
/// caller's likes. Anonymous callers get the page as cached, without marks.
struct LikeMarks: Sendable {
    let store: PostStore

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    func mark(_ page: RenderedPage, for identity: Identity?) async throws -> RenderedPage {
        guard let identity, let user = try? Ownership.ownerID(of: identity), page.itemCount > 0 else { return page }
        var decoded = try Self.decoder.decode(Page<PostSummary>.self, from: page.body)
        let liked = try await store.liked(by: user, among: decoded.items.map(\.id))
        for index in decoded.items.indices { decoded.items[index].likedByMe = liked.contains(decoded.items[index].id) }
        return try PageResponse.render(decoded)
    }

    func mark(_ post: Post, for identity: Identity?) async throws -> Post {
        guard let identity, let user = try? Ownership.ownerID(of: identity) else { return post }
        var post = post
        post.likedByMe = try await store.liked(by: user, among: [post.id]).contains(post.id)
        return post
    }
}
