import Foundation
import Logging
import Shared

/// Turns an upload whose file is in place into a video: the row, its thumbnail and transcode
/// jobs and its audit event in one transaction (`VideoStore.insert`); without a row, the files
/// go. Both upload paths, in one request and resumable, end here.
struct VideoRegistration: Sendable {
    let database: Database
    let store: VideoStore
    let media: MediaLayout
    let logger: Logger

    func register(_ video: VideoStore.NewVideo, origin: AuditOrigin) async throws {
        let event = AuditEvent(
            .videoUploaded, actorID: video.ownerID, targetType: "video", targetID: video.id.uuidString.lowercased(),
            payload: ["size_bytes": String(video.sizeBytes), "container": video.container.rawValue], origin: origin)
        do {
            try await database.withTransaction(logger: logger) { connection in
                try await store.insert(video, audit: event, on: connection)
            }
        } catch {
            media.removeFiles(of: video.id, original: video.sourcePath)
            throw error
        }
    }
}
