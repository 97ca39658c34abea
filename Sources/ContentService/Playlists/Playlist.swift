import Foundation
import Hummingbird
import PostgresNIO
import Shared

/// A playlist; `items` only on `GET /api/playlists/{id}` and the answers to writes.
struct Playlist: Codable, Sendable, ResponseEncodable {
    var id: String
    var ownerId: String
    var title: String
    var description: String
    var visibility: Visibility
    var itemCount: Int
    var createdAt: Date
    var updatedAt: Date
    var items: [PlaylistItem]?

    static let columns = """
        l.id, l.owner_id, l.title, l.description, l.visibility, \
        (SELECT count(*) FROM content.playlist_items i WHERE i.playlist_id = l.id)::integer, l.created_at, l.updated_at
        """

    static let notFound = APIError.notFound("No such playlist")
    static let columnCount = 8

    static func row(_ row: PostgresRow) throws -> Playlist {
        let (id, owner, title, description, visibility, count, createdAt, updatedAt) =
            try row.decode((UUID, UUID, String, String, String, Int32, Date, Date).self)
        return Playlist(
            id: id.uuidString.lowercased(), ownerId: owner.uuidString.lowercased(), title: title, description: description,
            visibility: Visibility(rawValue: visibility) ?? .private, itemCount: Int(count),
            createdAt: createdAt, updatedAt: updatedAt, items: nil)
    }
}

/// One entry of a playlist, with what a client needs to draw the video.
struct PlaylistItem: Codable, Sendable, ResponseEncodable {
    var id: String
    /// 1-based rank in the playlist.
    var position: Int
    var addedAt: Date
    var video: VideoSummary
}

struct VideoSummary: Codable, Sendable {
    var id: String
    var title: String
    var status: String
    var thumbnailUrl: String?
    var durationSeconds: Double?
}
