import Foundation
import Hummingbird
import PostgresNIO

/// A post as lists show it: no body, so a page stays small.
struct PostSummary: Codable, Sendable, Equatable {
    var id: Int64
    var title: String
    var excerpt: String
    var authorId: String
    /// Nil until AuthService's message about the author has arrived.
    var authorNickname: String?
    var tags: [String]
    var likeCount: Int
    var createdAt: Date
}

/// The whole post, for `GET /api/posts/{id}` and the answers to writes.
struct Post: Codable, Sendable, ResponseEncodable {
    var id: Int64
    var title: String
    var body: String
    var excerpt: String
    var authorId: String
    var authorNickname: String?
    var tags: [String]
    var likeCount: Int
    var createdAt: Date
    var updatedAt: Date
}

/// One page of summaries; `nextCursor` continues after the last one (absent at the end).
struct PostPage: Codable, Sendable {
    var items: [PostSummary]
    var nextCursor: String?
}

extension PostSummary {
    /// The columns `row(_:)` decodes, after `p` (posts) and `a` (authors) are joined; the last
    /// two are both sort keys, microseconds and likes.
    static let columns = """
        p.id, p.title, p.excerpt, p.author_id::text, a.nickname, p.tags, p.like_count, p.created_at,
        (extract(epoch FROM p.created_at) * 1000000)::bigint
        """

    static func row(_ row: PostgresRow) throws -> (summary: PostSummary, micros: Int64) {
        let (id, title, excerpt, author, nickname, tags, likes, createdAt, micros) =
            try row.decode((Int64, String, String, String, String?, [String], Int32, Date, Int64).self)
        return (PostSummary(id: id, title: title, excerpt: excerpt, authorId: author, authorNickname: nickname, tags: tags,
                            likeCount: Int(likes), createdAt: createdAt), micros)
    }
}
