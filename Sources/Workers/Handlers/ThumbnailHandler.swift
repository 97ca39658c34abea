import Foundation
import Logging
import PostgresNIO
import Shared

/// Writes a JPEG thumbnail of an uploaded video (at a fixed width) into the media folder nginx
/// serves, with the video's duration; the video is ready once its rendition is there too. A file
/// that is not a video fails the video, and the job is done. Runs again harmlessly.
struct ThumbnailHandler: JobHandler {
    let outputs: VideoOutputs
    var width = 320
    var timeout: Duration = .seconds(120)

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        let request = try job.decodePayload(as: ThumbnailJob.self)
        let id = request.videoID
        guard case .needed = try await outputs.state(of: id, .thumbnail, logger: logger) else {
            logger.info("thumbnail not needed")
            return
        }
        guard let source = outputs.media.resolve(request.sourcePath), FileManager.default.fileExists(atPath: source.path) else {
            try await outputs.fail(id, reason: "the upload is missing", logger: logger)
        }
        let probe = try await outputs.tools.duration(of: source)
        guard let duration = probe.seconds else {
            if probe.timedOut { try await outputs.retry(job, id, reason: "ffprobe timed out", logger: logger) }
            return try await outputs.reject(id, reason: "the file is not a video we can read", logger: logger)
        }

        let relative = VideoOutputs.Output.thumbnail.relative(id)
        let partial = outputs.media.url(MediaLayout.partial(relative))
        try FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
        let seek = String(format: "%.3f", min(1.0, duration / 2))
        let result = try await outputs.tools.ffmpeg(["-y", "-ss", seek] + MediaTools.inputOptions + [
            "-i", source.path, "-frames:v", "1", "-vf", "scale=\(width):-2", "-q:v", "4", "-f", "mjpeg", partial.path,
        ], timeout: timeout)
        guard VideoOutputs.made(partial, by: result) else {
            try? FileManager.default.removeItem(at: partial)
            if result.timedOut { try await outputs.retry(job, id, reason: "ffmpeg took longer than \(timeout)", logger: logger) }
            try await outputs.waitForSpaceIfFull(ffmpegOutput: result.output, logger: logger)
            return try await outputs.reject(id, reason: "no frame could be read from the video", logger: logger)
        }
        try await outputs.publish(id, .thumbnail, relative: relative, durationSeconds: duration, logger: logger)
    }

    func buried(_ job: ClaimedJob, logger: Logger) async throws {
        try await outputs.interrupted(try job.decodePayload(as: ThumbnailJob.self).videoID, .thumbnail, attempts: job.attempt, logger: logger)
    }
}
