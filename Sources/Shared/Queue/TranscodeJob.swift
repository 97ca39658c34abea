import Foundation

/// Make the web-playable rendition of an uploaded video (H.264/AAC MP4, at most 720p) and mark the
/// video ready once its thumbnail is there too (or failed).
public struct TranscodeJob: Codable, Sendable, Equatable {
    public var videoID: UUID
    /// The upload, relative to the media folder.
    public var sourcePath: String

    public init(videoID: UUID, sourcePath: String) {
        self.videoID = videoID
        self.sourcePath = sourcePath
    }

    /// Its own queue, so operators scale encoding (CPU-heavy, minutes) apart from thumbnails.
    public static let queue = "transcode"
    public static let kind = "video.transcode"
}

extension NewJob {
    public static func transcode(_ job: TranscodeJob) throws -> NewJob {
        try NewJob(queue: TranscodeJob.queue, kind: TranscodeJob.kind, payload: job, maxAttempts: 3,
                   uniqueKey: job.videoID.uuidString)
    }
}
