import Foundation
import Logging
import PostgresNIO
import Shared

/// The rows of resumable uploads in progress. One PATCH appends at a time: it takes a short lease
/// (`busy_until`) at the offset it read, renews it while it streams, and gives it back with the
/// new offset.
struct ResumableUploadStore: Sendable {
    let database: Database
    let logger: Logger
    /// How long a PATCH holds an upload without renewing; a crashed instance blocks it this long.
    var lease: Duration = .seconds(90)

    struct Upload: Sendable {
        var id: UUID
        var ownerID: String
        var title: String
        var length: Int64
        var offset: Int64
        var container: VideoContainer?
        var expiresAt: Date
    }

    private static let columns = #"id, owner_id::text, title, length, "offset", container, expires_at"#

    private static func upload(_ row: PostgresRow) throws -> Upload {
        let (id, owner, title, length, offset, container, expires) = try row.decode((UUID, String, String, Int64, Int64, String?, Date).self)
        return Upload(id: id, ownerID: owner, title: title, length: length, offset: offset,
                      container: container.flatMap(VideoContainer.init(rawValue:)), expiresAt: expires)
    }

    /// Creates the upload if `admit` accepts the owner's usage; one owner's creations take turns,
    /// so two at once cannot both pass a limit only one of them fits.
    func create(id: UUID, ownerID: String, title: String, length: Int64, expiresIn: Duration,
                admit: @Sendable (UploadQuota.Usage) throws -> Void) async throws -> Upload {
        try await database.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('content.uploads:' || \(ownerID), 0))", logger: logger)
            try admit(try await usage(ownerID: ownerID, on: connection))
            return try Self.upload(try await connection.query("""
                INSERT INTO content.uploads (id, owner_id, title, length, expires_at)
                VALUES (\(id), \(ownerID)::uuid, \(title), \(length), now() + make_interval(secs => \(expiresIn.seconds)))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger).collect()[0])
        }
    }

    /// The owner's open uploads and the bytes they will hold, and the bytes of their videos
    /// created in the last 24 hours.
    func usage(ownerID: String, on connection: PostgresConnection? = nil) async throws -> UploadQuota.Usage {
        let query: PostgresQuery = """
            SELECT (SELECT count(*) FROM content.uploads WHERE owner_id = \(ownerID)::uuid AND expires_at > now())::integer,
                   (SELECT coalesce(sum(length), 0) FROM content.uploads WHERE owner_id = \(ownerID)::uuid AND expires_at > now())::bigint,
                   (SELECT coalesce(sum(size_bytes), 0) FROM content.videos
                    WHERE owner_id = \(ownerID) AND created_at > now() - interval '1 day')::bigint
            """
        let row = if let connection { try await connection.query(query, logger: logger).collect()[0] }
            else { try await database.query(query, logger: logger)[0] }
        let (open, inFlight, today) = try row.decode((Int32, Int64, Int64).self)
        return UploadQuota.Usage(openUploads: Int(open), bytesInFlight: inFlight, bytesToday: today)
    }

    /// The upload, unless it has expired (the sweeper removes those).
    func find(id: UUID) async throws -> Upload? {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM content.uploads WHERE id = \(id) AND expires_at > now()
            """, logger: logger).first.map(Self.upload)
    }

    /// Takes the lease for appending at `offset`; false when another PATCH holds it or the offset moved.
    func acquire(id: UUID, at offset: Int64) async throws -> Bool {
        try await database.query("""
            UPDATE content.uploads SET busy_until = now() + make_interval(secs => \(lease.seconds))
            WHERE id = \(id) AND "offset" = \(offset) AND (busy_until IS NULL OR busy_until < now()) AND expires_at > now()
            RETURNING 1
            """, logger: logger).count == 1
    }

    func renew(id: UUID) async throws {
        try await database.query("""
            UPDATE content.uploads SET busy_until = now() + make_interval(secs => \(lease.seconds)) WHERE id = \(id) AND busy_until IS NOT NULL
            """, logger: logger)
    }

    /// Records the bytes now on disk and gives the lease back. An upload in use does not expire:
    /// each chunk moves its expiry to at least `expiresIn` from now.
    func release(id: UUID, offset: Int64, container: VideoContainer?, expiresIn: Duration) async throws -> Date {
        try await database.query("""
            UPDATE content.uploads SET "offset" = \(offset), container = coalesce(\(container?.rawValue), container), busy_until = NULL,
                expires_at = greatest(expires_at, now() + make_interval(secs => \(expiresIn.seconds)))
            WHERE id = \(id)
            RETURNING expires_at
            """, logger: logger).first?.decode(Date.self) ?? Date()
    }

    func delete(id: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM content.uploads WHERE id = \(id)", logger: logger)
    }

    func delete(id: UUID) async throws {
        try await database.query("DELETE FROM content.uploads WHERE id = \(id)", logger: logger)
    }

    /// Deletes uploads past their expiry that nobody is appending to; returns their ids.
    func expire(limit: Int = 1000) async throws -> [UUID] {
        try await database.query("""
            DELETE FROM content.uploads WHERE id IN (
                SELECT id FROM content.uploads WHERE expires_at < now() AND (busy_until IS NULL OR busy_until < now())
                ORDER BY expires_at LIMIT \(limit))
            RETURNING id
            """, logger: logger).map { try $0.decode(UUID.self) }
    }
}
