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
        try await AuthorStore.ensure(video.ownerID, on: connection, logger: logger)
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

    enum Sort: String, Sendable, CaseIterable {
        case latest, plays
    }

    /// In `sort` order from `page` on (one row past the page, `PageRequest.limit`), each with its
    /// sort key; `ownerID` narrows to one user's; `all` includes the ones only their owner sees,
    /// else only listed ones (`VideoPolicy.listed`). Each shape reads one index.
    func list(ownerID: String?, all: Bool, sort: Sort, page: PageRequest) async throws -> [(video: Video, key: SortKey)] {
        var b = SQLBuilder()
        b.add("SELECT \(Video.columns), \(SQLTime.micros("v.created_at")), v.play_count FROM content.videos v WHERE true")
        if let ownerID {
            let owner = b.bind(ownerID)
            b.add(" AND v.owner_id = \(owner)")
        }
        if !all { b.add(" AND \(VideoPolicy.listed)") }
        switch sort {
        case .latest:
            b.newestFirst(from: page, time: "v.created_at", id: "v.id", idType: "uuid")
        case .plays:
            if case .after(let key) = page.position {
                let (value, after) = (b.bind(key.value), b.bind(key.id))
                b.add(" AND (v.play_count, v.id) < (\(value)::bigint, \(after)::uuid)")
            }
            let limit = b.bind(page.limit)
            b.add(" ORDER BY v.play_count DESC, v.id DESC LIMIT \(limit)")
        }
        return try await database.query(b.query, logger: logger).map { row in
            let video = try Video.row(row, mediaURL: mediaURL).video
            let columns = row.makeRandomAccess()
            let value = try columns[sort == .latest ? Video.columnCount : Video.columnCount + 1].decode(Int64.self)
            return (video, SortKey(value: value, id: video.id))
        }
    }

    /// What `VideoPolicy` decides on, without the rest of the row.
    struct Head: Sendable {
        var ownerID: String
        var status: String
        var visibility: Visibility
        var ownerBanned: Bool

        func access(by identity: Identity?) -> VisibilityPolicy.Access {
            VideoPolicy.access(status: status, visibility: visibility, ownerID: ownerID, ownerBanned: ownerBanned, by: identity)
        }
    }

    /// Owner, status, visibility and whether the owner is banned; with a connection, the row is
    /// locked against a concurrent change or delete.
    func head(id: UUID, lockingOn connection: PostgresConnection? = nil) async throws -> Head? {
        let select = """
            SELECT v.owner_id, v.status, v.visibility, \(VideoPolicy.ownerBanned)
            FROM content.videos v WHERE v.id =
            """
        let row = if let connection {
            try await connection.query("\(unescaped: select) \(id) FOR UPDATE", logger: logger).collect().first
        } else {
            try await database.query("\(unescaped: select) \(id)", logger: logger).first
        }
        guard let (owner, status, visibility, banned) = try row?.decode((String, String, String, Bool).self) else { return nil }
        return Head(ownerID: owner, status: status, visibility: Visibility(rawValue: visibility) ?? .private, ownerBanned: banned)
    }

    /// Sets what is given; nil leaves a field as it is.
    func update(id: UUID, title: String?, description: String?, visibility: Visibility?, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE content.videos SET title = coalesce(\(title), title), description = coalesce(\(description), description),
                visibility = coalesce(\(visibility?.rawValue), visibility)
            WHERE id = \(id)
            """, logger: logger)
    }

    /// The video as its owner sees it, read on `connection` (after a change).
    func find(id: UUID, on connection: PostgresConnection) async throws -> Video? {
        try await connection.query("SELECT \(unescaped: Video.columns) FROM content.videos v WHERE v.id = \(id)", logger: logger)
            .collect().first.map { try Video.row($0, mediaURL: mediaURL).video }
    }

    /// Deletes the row (its playlist items go with it); returns the owner and the upload's path.
    func delete(id: UUID, on connection: PostgresConnection) async throws -> (ownerID: String, sourcePath: String)? {
        try await connection.query("""
            DELETE FROM content.videos WHERE id = \(id) RETURNING owner_id, source_path
            """, logger: logger).collect().first?.decode((String, String).self)
    }

    /// Counts a play of a video anyone may see; false when there is no such video.
    func recordPlay(id: UUID) async throws -> Bool {
        try await database.query("""
            INSERT INTO content.play_deltas (video_id)
            SELECT v.id FROM content.videos v WHERE v.id = \(id) AND \(unescaped: VideoPolicy.reachable) RETURNING 1
            """, logger: logger).count == 1
    }
}
