import Foundation
import Logging
import PostgresNIO
import Shared

/// The SQL for videos and their plays. Writes take the caller's connection so they commit with
/// the jobs and audit events they cause.
struct VideoStore: Sendable {
    let database: Database
    let mediaURL: String
    let logger: Logger

    struct NewVideo: Sendable {
        var id: UUID
        var ownerID: String
        var title: String
        var sourcePath: String
        var container: VideoContainer
        var sizeBytes: Int64
    }

    /// The row, its thumbnail and transcode jobs and its audit event, in one transaction: a video
    /// is never left without the work that makes it ready.
    func insert(_ video: NewVideo, audit: AuditEvent, on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO content.videos (id, owner_id, title, source_path, size_bytes, container)
            VALUES (\(video.id), \(video.ownerID), \(video.title), \(video.sourcePath), \(video.sizeBytes), \(video.container.rawValue))
            """, logger: logger)
        try await JobQueue.enqueue([
            .thumbnail(ThumbnailJob(videoID: video.id, sourcePath: video.sourcePath)),
            .transcode(TranscodeJob(videoID: video.id, sourcePath: video.sourcePath)),
            .audit(audit),
        ], on: connection, logger: logger)
    }

    func find(id: UUID) async throws -> (video: Video, sourcePath: String)? {
        try await database.query("SELECT \(unescaped: Video.columns) FROM content.videos v WHERE v.id = \(id)", logger: logger)
            .first.map { try Video.row($0, mediaURL: mediaURL) }
    }

    /// Newest first; `ownerID` narrows to one user's.
    func list(ownerID: String?, page: PageRequest) async throws -> [Video] {
        let rows: [PostgresRow]
        if let ownerID {
            rows = try await database.query("""
                SELECT \(unescaped: Video.columns) FROM content.videos v WHERE v.owner_id = \(ownerID)
                ORDER BY v.created_at DESC, v.id DESC LIMIT \(page.size) OFFSET \(page.offset)
                """, logger: logger)
        } else {
            rows = try await database.query("""
                SELECT \(unescaped: Video.columns) FROM content.videos v
                ORDER BY v.created_at DESC, v.id DESC LIMIT \(page.size) OFFSET \(page.offset)
                """, logger: logger)
        }
        return try rows.map { try Video.row($0, mediaURL: mediaURL).video }
    }

    /// Deletes the row (its playlist items go with it); returns the owner and the upload's path.
    func delete(id: UUID, on connection: PostgresConnection) async throws -> (ownerID: String, sourcePath: String)? {
        try await connection.query("""
            DELETE FROM content.videos WHERE id = \(id) RETURNING owner_id, source_path
            """, logger: logger).collect().first?.decode((String, String).self)
    }

    /// The owner of a video, locked against a concurrent delete.
    func lockOwner(id: UUID, on connection: PostgresConnection) async throws -> String? {
        try await connection.query("SELECT owner_id FROM content.videos WHERE id = \(id) FOR UPDATE", logger: logger)
            .collect().first?.decode(String.self)
    }

    /// Counts a play; false when there is no such video.
    func recordPlay(id: UUID) async throws -> Bool {
        try await database.query("""
            INSERT INTO content.play_deltas (video_id) SELECT id FROM content.videos WHERE id = \(id) RETURNING 1
            """, logger: logger).count == 1
    }
}
