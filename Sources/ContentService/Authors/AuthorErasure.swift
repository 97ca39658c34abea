import Foundation
import Logging
import PostgresNIO
import Shared

/// What happens here when an account is deleted (docs/api.md, "Deleting an account"): everything
/// the user published or did is removed in one transaction (posts with their tags and likes,
/// playlists with their items, videos with their files and their places in others' playlists,
/// uploads in progress), their likes of others' posts are taken back from the counts, and the
/// author row becomes a tombstone that refuses any later write (`AuthorStore.ensure`).
struct AuthorErasure: Sendable {
    let logger: Logger

    /// Erases `userID`'s content on `connection` (the caller's transaction); returns the videos
    /// whose files are to be removed once it commits.
    func erase(_ userID: String, on connection: PostgresConnection) async throws -> [(id: UUID, source: String)] {
        // First, so a write in flight (holding the row FOR SHARE) finishes before, and is erased too.
        try await connection.query("""
            INSERT INTO content.authors AS a (id, nickname, banned, deleted) VALUES (\(userID)::uuid, NULL, true, true)
            ON CONFLICT (id) DO UPDATE SET nickname = NULL, banned = true, deleted = true
            """, logger: logger)
        try await connection.query("SELECT 1 FROM content.authors WHERE id = \(userID)::uuid FOR UPDATE", logger: logger)
        try await connection.query("""
            WITH removed AS (DELETE FROM content.likes WHERE user_id = \(userID)::uuid RETURNING post_id)
            INSERT INTO content.like_deltas (post_id, delta) SELECT post_id, -1 FROM removed
            """, logger: logger)
        try await connection.query("""
            DELETE FROM content.like_deltas WHERE post_id IN (SELECT id FROM content.posts WHERE author_id = \(userID)::uuid)
            """, logger: logger)
        try await connection.query("DELETE FROM content.posts WHERE author_id = \(userID)::uuid", logger: logger)
        try await connection.query("DELETE FROM content.playlists WHERE owner_id = \(userID)::uuid", logger: logger)
        let videos = try await connection.query("""
            DELETE FROM content.videos WHERE owner_id = \(userID) RETURNING id, source_path
            """, logger: logger).collect().map { try $0.decode((UUID, String).self) }
        try await connection.query("""
            DELETE FROM content.play_deltas WHERE video_id = ANY(\(videos.map(\.0)))
            """, logger: logger)
        // Their files are the upload sweeper's: it removes what no upload row names.
        try await connection.query("DELETE FROM content.uploads WHERE owner_id = \(userID)::uuid", logger: logger)
        return videos.map { (id: $0.0, source: $0.1) }
    }
}
