import Foundation
import Logging
import PostgresNIO
import Shared

/// The SQL for posts, their tags and likes. Writes take the caller's connection so they commit
/// together with the audit jobs that report them.
struct PostStore: Sendable {
    let database: Database
    let logger: Logger

    struct Draft: Sendable {
        var title: String
        var body: String
        var excerpt: String
        var tags: [String]
    }

    private static let postColumns = """
        p.id, p.title, p.body, p.excerpt, p.author_id::text, a.nickname, p.tags,
        (p.like_count + coalesce((SELECT sum(d.delta) FROM content.like_deltas d WHERE d.post_id = p.id), 0))::integer,
        p.created_at, p.updated_at, NOT p.visible
        """

    /// The post with its exact like count (folded plus not yet folded), and whether it is hidden.
    func find(id: Int64) async throws -> (post: Post, hidden: Bool)? {
        try await database.query("""
            SELECT \(unescaped: Self.postColumns) FROM content.posts p LEFT JOIN content.authors a ON a.id = p.author_id
            WHERE p.id = \(id)
            """, logger: logger).first.map(Self.post)
    }

    func insert(_ draft: Draft, authorID: String, on connection: PostgresConnection) async throws -> Post {
        try await AuthorStore.ensure(authorID, on: connection, logger: logger)
        let rows = try await connection.query("""
            INSERT INTO content.posts (author_id, title, body, excerpt, tags, search, search_version, visible)
            SELECT \(authorID)::uuid, \(draft.title), \(draft.body), \(draft.excerpt), \(draft.tags),
                   \(SearchTokenizer.vector(title: draft.title, body: draft.body))::tsvector, \(SearchTokenizer.version),
                   NOT a.banned
            FROM content.authors a WHERE a.id = \(authorID)::uuid
            RETURNING id
            """, logger: logger).collect()
        let id = try rows[0].decode(Int64.self)
        try await replaceTags(of: id, with: draft.tags, on: connection)
        return try await find(id: id, on: connection)!.post
    }

    /// The author and hidden flag of a post, locked for a change; nil when there is none.
    func lockForChange(id: Int64, on connection: PostgresConnection) async throws -> (authorID: String, hidden: Bool)? {
        try await connection.query("""
            SELECT author_id::text, NOT visible FROM content.posts WHERE id = \(id) FOR UPDATE
            """, logger: logger).collect().first?.decode((String, Bool).self)
    }

    func update(id: Int64, to draft: Draft, tagsChanged: Bool, on connection: PostgresConnection) async throws -> Post {
        try await connection.query("""
            UPDATE content.posts SET title = \(draft.title), body = \(draft.body), excerpt = \(draft.excerpt), tags = \(draft.tags),
                search = \(SearchTokenizer.vector(title: draft.title, body: draft.body))::tsvector,
                search_version = \(SearchTokenizer.version), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
        if tagsChanged { try await replaceTags(of: id, with: draft.tags, on: connection) }
        return try await find(id: id, on: connection)!.post
    }

    func delete(id: Int64, on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM content.posts WHERE id = \(id)", logger: logger)
        try await connection.query("DELETE FROM content.like_deltas WHERE post_id = \(id)", logger: logger)
    }

    private func replaceTags(of id: Int64, with tags: [String], on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM content.post_tags WHERE post_id = \(id)", logger: logger)
        guard !tags.isEmpty else { return }
        try await connection.query("""
            INSERT INTO content.post_tags (tag, post_id, created_at, like_count, visible)
            SELECT tag, p.id, p.created_at, p.like_count, p.visible FROM content.posts p, unnest(p.tags) AS tag WHERE p.id = \(id)
            """, logger: logger)
    }

    func find(id: Int64, on connection: PostgresConnection) async throws -> (post: Post, hidden: Bool)? {
        try await connection.query("""
            SELECT \(unescaped: Self.postColumns) FROM content.posts p LEFT JOIN content.authors a ON a.id = p.author_id
            WHERE p.id = \(id)
            """, logger: logger).collect().first.map(Self.post)
    }

    // MARK: Likes

    enum LikeOutcome {
        case changed, unchanged, noSuchPost
    }

    /// Likes (`liked`) or unlikes a visible post for `userID`. A change appends a delta for
    /// `DeltaFolder.likes`; only the like row itself is written per user, never the post's row.
    func setLike(postID: Int64, userID: String, liked: Bool, on connection: PostgresConnection) async throws -> LikeOutcome {
        let rows: [PostgresRow]
        if liked {
            try await AuthorStore.ensure(userID, on: connection, logger: logger)
            rows = try await connection.query("""
                WITH added AS (
                    INSERT INTO content.likes (post_id, user_id)
                    SELECT id, \(userID)::uuid FROM content.posts WHERE id = \(postID) AND visible
                    ON CONFLICT DO NOTHING RETURNING post_id)
                INSERT INTO content.like_deltas (post_id, delta) SELECT post_id, 1 FROM added RETURNING 1
                """, logger: logger).collect()
        } else {
            rows = try await connection.query("""
                WITH removed AS (
                    DELETE FROM content.likes l USING content.posts p
                    WHERE l.post_id = \(postID) AND l.user_id = \(userID)::uuid AND p.id = l.post_id AND p.visible
                    RETURNING l.post_id)
                INSERT INTO content.like_deltas (post_id, delta) SELECT post_id, -1 FROM removed RETURNING 1
                """, logger: logger).collect()
        }
        if !rows.isEmpty { return .changed }
        let exists = try await connection.query("""
            SELECT 1 FROM content.posts WHERE id = \(postID) AND visible
            """, logger: logger).collect()
        return exists.isEmpty ? .noSuchPost : .unchanged
    }

    /// Which of `postIDs` `userID` likes.
    func liked(by userID: String, among postIDs: [Int64]) async throws -> Set<Int64> {
        guard !postIDs.isEmpty else { return [] }
        return Set(try await database.query("""
            SELECT post_id FROM content.likes WHERE user_id = \(userID)::uuid AND post_id = ANY(\(postIDs))
            """, logger: logger).map { try $0.decode(Int64.self) })
    }

    /// The visible posts `userID` likes, the newest like first, from `page` on (one row past the
    /// page), each with the like's time in microseconds for the cursor.
    func likes(of userID: String, page: PageRequest) async throws -> [(summary: PostSummary, micros: Int64)] {
        var b = SQLBuilder()
        let user = b.bind(userID)
        b.add("""
            SELECT \(PostSummary.columns), \(SQLTime.micros("l.created_at"))
            FROM content.likes l JOIN content.posts p ON p.id = l.post_id LEFT JOIN content.authors a ON a.id = p.author_id
            WHERE l.user_id = \(user)::uuid AND p.visible
            """)
        b.newestFirst(from: page, time: "l.created_at", id: "l.post_id", idType: "bigint")
        return try await database.query(b.query, logger: logger).map { row in
            var (summary, _) = try PostSummary.row(row)
            summary.likedByMe = true
            return (summary, try row.makeRandomAccess()[PostSummary.columnCount].decode(Int64.self))
        }
    }

    // MARK: Listings

    func summaries(_ query: PostgresQuery) async throws -> [(summary: PostSummary, micros: Int64)] {
        try await database.query(query, logger: logger).map(PostSummary.row)
    }

    private static func post(_ row: PostgresRow) throws -> (post: Post, hidden: Bool) {
        let (id, title, body, excerpt, author, nickname, tags, likes, createdAt, updatedAt, hidden) =
            try row.decode((Int64, String, String, String, String, String?, [String], Int32, Date, Date, Bool).self)
        return (Post(id: id, title: title, body: body, excerpt: excerpt, authorId: author, authorNickname: nickname, tags: tags,
                     likeCount: Int(likes), createdAt: createdAt, updatedAt: updatedAt, likedByMe: nil), hidden)
    }
}
