import Foundation
import Hummingbird
import PostgresNIO
import Shared

/// A video as clients see it. The URLs point at the files nginx serves under `/media/`; each is
/// present once its file is.
struct Video: Codable, Sendable, Equatable, ResponseEncodable {
    var id: String
    var title: String
    var description: String
    var visibility: Visibility
    var ownerId: String
    var status: String
    var thumbnailUrl: String?
    var playbackUrl: String?
    var durationSeconds: Double?
    var sizeBytes: Int64
    var plays: Int64
    var failureReason: String?
    var createdAt: Date

    /// The columns `row(_:mediaURL:)` decodes, from `content.videos v`; the play count includes the
    /// plays `DeltaFolder.plays` has not folded yet.
    static let columns = """
        v.id, v.title, v.description, v.visibility, v.owner_id, v.status, v.thumbnail_path, v.rendition_path, v.duration_seconds, v.size_bytes,
        v.play_count + (SELECT count(*) FROM content.play_deltas d WHERE d.video_id = v.id),
        v.failure_reason, v.created_at, v.source_path
        """
    static let columnCount = 14

    /// Whether `identity` may see or change it: `VideoPolicy`.
    func access(ownerBanned: Bool, by identity: Identity?) -> VisibilityPolicy.Access {
        VideoPolicy.access(status: status, visibility: visibility, ownerID: ownerId, ownerBanned: ownerBanned, by: identity)
    }

    static func row(_ row: PostgresRow, mediaURL: String) throws -> (video: Video, sourcePath: String) {
        let (id, title, description, visibility, owner, status, thumbnail, rendition, duration, size, plays, reason, createdAt, source) =
            try row.decode((UUID, String, String, String, String, String, String?, String?, Double?, Int64, Int64, String?, Date, String).self)
        let video = Video(
            id: id.uuidString.lowercased(), title: title, description: description, visibility: Visibility(rawValue: visibility) ?? .private,
            ownerId: owner, status: status,
            thumbnailUrl: thumbnail.map { "\(mediaURL)/\($0)" }, playbackUrl: rendition.map { "\(mediaURL)/\($0)" },
            durationSeconds: duration, sizeBytes: size, plays: plays, failureReason: reason, createdAt: createdAt)
        return (video, source)
    }
}
