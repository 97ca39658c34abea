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

    /// The video, its upload's path, and whether its owner is banned (for `VideoPolicy`).
    func find(id: UUID) async throws -> (video: Video, sourcePath: String, ownerBanned: Bool)? {
        try await database.query("""
            SELECT \(unescaped: Video.columns), \(unescaped: VideoPolicy.ownerBanned)
            FROM content.videos v WHERE v.id = \(id)
            """, logger: logger)
            .first.map { row in
                let (video, source) = try Video.row(row, mediaURL: mediaURL)
                return (video, source, try row.makeRandomAccess()[Video.columnCount].decode(Bool.self))
            }
    }

    /// Newest first from `page` on (one row past the page, `PageRequest.limit`), each with its
    /// sort key; `ownerID` narrows to one user's; `all` includes the ones only their owner sees.
    func list(ownerID: String?, all: Bool, page: PageRequest) async throws -> [(video: Video, key: SortKey)] {
        var b = SQLBuilder()
        b.add("SELECT \(Video.columns), \(SQLTime.micros("v.created_at")) FROM content.videos v WHERE true")
        if let ownerID {
            let owner = b.bind(ownerID)
            b.add(" AND v.owner_id = \(owner)")
        }
        if !all { b.add(" AND \(VideoPolicy.shownToAnyone)") }
        b.newestFirst(from: page, time: "v.created_at", id: "v.id", idType: "uuid")
        return try await database.query(b.query, logger: logger).map { row in
            let video = try Video.row(row, mediaURL: mediaURL).video
            return (video, SortKey(value: try row.makeRandomAccess()[Video.columnCount].decode(Int64.self), id: video.id))
        }
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

    /// Whether anyone may see the video.
    func isShown(id: UUID) async throws -> Bool {
        try await database.query("""
            SELECT EXISTS (SELECT 1 FROM content.videos v WHERE v.id = \(id) AND \(unescaped: VideoPolicy.shownToAnyone))
            """, logger: logger).first?.decode(Bool.self) ?? false
    }

    /// Counts a play of a video anyone may see; false when there is no such video.
    func recordPlay(id: UUID) async throws -> Bool {
        try await database.query("""
            INSERT INTO content.play_deltas (video_id)
            SELECT v.id FROM content.videos v WHERE v.id = \(id) AND \(unescaped: VideoPolicy.shownToAnyone) RETURNING 1
            """, logger: logger).count == 1
    }
}
