import Foundation
import Hummingbird
import PostgresNIO
import Shared

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
    /// Whether the signed-in caller likes it; absent for anonymous callers (`LikeMarks`).
    var likedByMe: Bool?
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
    /// Whether the signed-in caller likes it; absent for anonymous callers.
    var likedByMe: Bool?
}

extension PostSummary {
    /// The columns `row(_:)` decodes, after `p` (posts) and `a` (authors) are joined; the last
    /// two are both sort keys, microseconds and likes.
    static let columns = """
        p.id, p.title, p.excerpt, p.author_id::text, a.nickname, p.tags, p.like_count, p.created_at,
        \(SQLTime.micros("p.created_at"))
        """

    static let columnCount = 9

    static func row(_ row: PostgresRow) throws -> (summary: PostSummary, micros: Int64) {
        let (id, title, excerpt, author, nickname, tags, likes, createdAt, micros) =
            try row.decode((Int64, String, String, String, String?, [String], Int32, Date, Int64).self)
        return (PostSummary(id: id, title: title, excerpt: excerpt, authorId: author, authorNickname: nickname, tags: tags,
                            likeCount: Int(likes), createdAt: createdAt), micros)
    }
}
