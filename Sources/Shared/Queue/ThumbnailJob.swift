import Foundation

/// Make the thumbnail of an uploaded video and mark it ready (or failed).
public struct ThumbnailJob: Codable, Sendable, Equatable {
    public var videoID: UUID
    /// The upload, relative to the media folder.
    public var sourcePath: String

    public init(videoID: UUID, sourcePath: String) {
        self.videoID = videoID
        self.sourcePath = sourcePath
    }

    public static let queue = "thumbnail"
    public static let kind = "video.thumbnail"
}

extension NewJob {
    public static func thumbnail(_ job: ThumbnailJob) throws -> NewJob {
        try NewJob(queue: ThumbnailJob.queue, kind: ThumbnailJob.kind, payload: job, maxAttempts: 5,
                   uniqueKey: job.videoID.uuidString)
    }
}
