import Foundation
import Logging
import PostgresNIO
import Shared

/// The SQL for playlists and their items. Writes take the caller's connection, with the playlist
/// row locked first, so item changes to one playlist happen one at a time.
struct PlaylistStore: Sendable {
    let database: Database
    let mediaURL: String
    let logger: Logger

    struct Head: Sendable {
        var ownerID: String
        var visibility: Visibility
        var ownerBanned: Bool

        func access(by identity: Identity?) -> VisibilityPolicy.Access {
            VisibilityPolicy.access(visibility: visibility, ownerID: ownerID, ownerBanned: ownerBanned, by: identity)
        }
    }

    func insert(id: UUID, ownerID: String, title: String, description: String, visibility: Visibility,
                on connection: PostgresConnection) async throws {
        try await AuthorStore.ensure(ownerID, on: connection, logger: logger)
        try await connection.query("""
            INSERT INTO content.playlists (id, owner_id, title, description, visibility)
            VALUES (\(id), \(ownerID)::uuid, \(title), \(description), \(visibility.rawValue))
            """, logger: logger)
    }

    /// Owner, visibility and whether the owner is banned, what VisibilityPolicy needs; with a
    /// connection, the row is locked.
    func head(id: UUID, lockingOn connection: PostgresConnection? = nil) async throws -> Head? {
        let row: PostgresRow?
        let select = """
            SELECT l.owner_id::text, l.visibility, EXISTS (SELECT 1 FROM content.authors a WHERE a.id = l.owner_id AND a.banned)
            FROM content.playlists l WHERE l.id =
            """
        if let connection {
            row = try await connection.query("\(unescaped: select) \(id) FOR UPDATE OF l", logger: logger).collect().first
        } else {
            row = try await database.query("\(unescaped: select) \(id)", logger: logger).first
        }
        return try row.map { row in
            let (owner, visibility, banned) = try row.decode((String, String, Bool).self)
            return Head(ownerID: owner, visibility: Visibility(rawValue: visibility) ?? .private, ownerBanned: banned)
        }
    }

    /// The playlist with its items in order, both read on one connection. Items are the videos
    /// `viewerID` may see (`VideoPolicy`): anyone's shown ones and the viewer's own.
    func find(id: UUID, viewerID: String?) async throws -> Playlist? {
        try await database.withConnection { try await find(id: id, viewerID: viewerID, on: $0) }
    }

    func find(id: UUID, viewerID: String?, on connection: PostgresConnection) async throws -> Playlist? {
        let query: PostgresQuery = "SELECT \(unescaped: Playlist.columns) FROM content.playlists l WHERE l.id = \(id)"
        let itemsQuery: PostgresQuery = """
            SELECT i.id, row_number() OVER (ORDER BY i.position)::integer, i.added_at,
                   v.id, v.title, v.status, v.thumbnail_path, v.duration_seconds
            FROM content.playlist_items i JOIN content.videos v ON v.id = i.video_id
            WHERE i.playlist_id = \(id) AND (v.owner_id = \(viewerID ?? "") OR \(unescaped: VideoPolicy.reachable))
            ORDER BY i.position
            """
        guard let row = try await connection.query(query, logger: logger).collect().first else { return nil }
        let itemRows = try await connection.query(itemsQuery, logger: logger).collect()
        var playlist = try Playlist.row(row)
        playlist.items = try itemRows.map { row in
            let (id, position, added, videoID, title, status, thumbnail, duration) =
                try row.decode((UUID, Int32, Date, UUID, String, String, String?, Double?).self)
            return PlaylistItem(id: id.uuidString.lowercased(), position: Int(position), addedAt: added, video: VideoSummary(
                id: videoID.uuidString.lowercased(), title: title, status: status,
                thumbnailUrl: thumbnail.map { "\(mediaURL)/\($0)" }, durationSeconds: duration))
        }
        return playlist
    }

    func update(id: UUID, title: String?, description: String?, visibility: Visibility?, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE content.playlists SET title = coalesce(\(title), title), description = coalesce(\(description), description),
                visibility = coalesce(\(visibility?.rawValue), visibility), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    func delete(id: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM content.playlists WHERE id = \(id)", logger: logger)
    }

    /// A user's playlists of the given visibilities, newest first from `page` on (one row past
    /// the page, `PageRequest.limit`), each with its sort key. With public ones only, the
    /// statement matches the partial index exactly.
    func list(ownerID: String, visibilities: [Visibility], page: PageRequest) async throws -> [(playlist: Playlist, key: SortKey)] {
        var b = SQLBuilder()
        let owner = b.bind(ownerID)
        b.add("SELECT \(Playlist.columns), \(SQLTime.micros("l.created_at")) FROM content.playlists l WHERE l.owner_id = \(owner)::uuid")
        if visibilities == [.public] { b.add(" AND l.visibility = 'public'") }
        b.newestFirst(from: page, time: "l.created_at", id: "l.id", idType: "uuid")
        return try await database.query(b.query, logger: logger).map(Self.listed)
    }

    /// A playlist of a listing and its sort key, from `Playlist.columns` and the micros after them.
    private static func listed(_ row: PostgresRow) throws -> (playlist: Playlist, key: SortKey) {
        let playlist = try Playlist.row(row)
        return (playlist, SortKey(value: try row.makeRandomAccess()[Playlist.columnCount].decode(Int64.self), id: playlist.id))
    }

    /// Everyone's public playlists whose owner is not banned, newest first from `page` on (one
    /// row past the page), each with its sort key.
    func listPublic(page: PageRequest) async throws -> [(playlist: Playlist, key: SortKey)] {
        var b = SQLBuilder()
        b.add("""
            SELECT \(Playlist.columns), \(SQLTime.micros("l.created_at")) FROM content.playlists l
            WHERE l.visibility = 'public'
              AND NOT EXISTS (SELECT 1 FROM content.authors a WHERE a.id = l.owner_id AND a.banned)
            """)
        b.newestFirst(from: page, time: "l.created_at", id: "l.id", idType: "uuid")
        return try await database.query(b.query, logger: logger).map(Self.listed)
    }

    enum AddOutcome { case added(UUID), full, noSuchVideo, duplicate }

    /// Appends a video `ownerID` may see (`VideoPolicy`: anyone's shown one, or their own); any
    /// other is no such video, so adding cannot tell a hidden one exists.
    func add(videoID: UUID, to playlistID: UUID, by ownerID: String, maxItems: Int, on connection: PostgresConnection) async throws -> AddOutcome {
        let (count, present, exists) = try await connection.query("""
            SELECT (SELECT count(*) FROM content.playlist_items WHERE playlist_id = \(playlistID))::integer,
                   EXISTS (SELECT 1 FROM content.playlist_items WHERE playlist_id = \(playlistID) AND video_id = \(videoID)),
                   EXISTS (SELECT 1 FROM content.videos v WHERE v.id = \(videoID)
                           AND (v.owner_id = \(ownerID) OR \(unescaped: VideoPolicy.reachable)))
            """, logger: logger).collect()[0].decode((Int32, Bool, Bool).self)
        guard exists else { return .noSuchVideo }
        guard !present else { return .duplicate }
        guard count < maxItems else { return .full }
        let id = UUID()
        // The video may be deleted meanwhile: the foreign key then fails the insert (23503).
        do {
            try await connection.query("""
                INSERT INTO content.playlist_items (id, playlist_id, video_id, position)
                SELECT \(id), \(playlistID), \(videoID), coalesce(max(position), 0) + 1
                FROM content.playlist_items WHERE playlist_id = \(playlistID)
                """, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            return .noSuchVideo
        }
        try await touch(playlistID, on: connection)
        return .added(id)
    }

    /// Removes an item; false when the playlist has no such item.
    func remove(itemID: UUID, from playlistID: UUID, on connection: PostgresConnection) async throws -> UUID? {
        let rows = try await connection.query("""
            DELETE FROM content.playlist_items WHERE id = \(itemID) AND playlist_id = \(playlistID) RETURNING video_id
            """, logger: logger).collect()
        guard let row = rows.first else { return nil }
        try await touch(playlistID, on: connection)
        return try row.decode(UUID.self)
    }

    enum MoveOutcome { case moved, noSuchItem, outOfRange(Int) }

    /// Moves an item to a 1-based rank, renumbering the playlist's positions 1...n.
    func move(itemID: UUID, in playlistID: UUID, to rank: Int, on connection: PostgresConnection) async throws -> MoveOutcome {
        var order = try await connection.query("""
            SELECT id FROM content.playlist_items WHERE playlist_id = \(playlistID) ORDER BY position
            """, logger: logger).collect().map { try $0.decode(UUID.self) }
        guard let from = order.firstIndex(of: itemID) else { return .noSuchItem }
        guard (1...order.count).contains(rank) else { return .outOfRange(order.count) }
        order.insert(order.remove(at: from), at: rank - 1)
        try await connection.query("""
            UPDATE content.playlist_items i SET position = o.n
            FROM unnest(\(order)::uuid[]) WITH ORDINALITY AS o(id, n)
            WHERE i.id = o.id AND i.position <> o.n
            """, logger: logger)
        try await touch(playlistID, on: connection)
        return .moved
    }

    private func touch(_ id: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE content.playlists SET updated_at = now() WHERE id = \(id)", logger: logger)
    }
}
