import Foundation
import Logging
import PostgresNIO
import Shared

/// Probes an uploaded video with ffprobe, writes a JPEG thumbnail with ffmpeg into the media
/// folder nginx serves, and marks the video ready with its duration and thumbnail; a file that is
/// not a video marks it failed and the job dead. Runs again harmlessly: a video that is no longer
/// processing is left alone.
struct ThumbnailHandler: JobHandler {
    let database: Database
    let mediaDirectory: URL
    var ffmpeg = "/usr/bin/ffmpeg"
    var ffprobe = "/usr/bin/ffprobe"
    var timeout: Duration = .seconds(120)

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        let request = try job.decodePayload(as: ThumbnailJob.self)
        let status = try await database.query(
            "SELECT status FROM content.videos WHERE id = \(request.videoID)", logger: logger
        ).first.map { try $0.decode(String.self) }
        guard let status else { throw JobFailure("video \(request.videoID) does not exist", permanent: true) }
        guard status == "processing" else {
            logger.info("video already \(status); nothing to do")
            return
        }
        guard let source = mediaFile(request.sourcePath) else {
            return try await fail(request.videoID, reason: "the upload is missing", logger: logger)
        }

        let probe = try await ChildProcess.run(
            ffprobe, ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", source.path],
            timeout: .seconds(30))
        guard probe.status == 0, let duration = Double(probe.output.trimmingCharacters(in: .whitespacesAndNewlines)), duration > 0 else {
            if probe.timedOut { throw JobFailure("ffprobe timed out") }
            return try await fail(request.videoID, reason: "the file is not a video we can read", logger: logger)
        }

        let relative = "thumbnails/\(request.videoID.uuidString.lowercased()).jpg"
        let target = mediaDirectory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let partial = target.deletingPathExtension().appendingPathExtension("partial.jpg")
        let seek = String(format: "%.3f", min(1.0, duration / 2))
        let result = try await ChildProcess.run(
            ffmpeg, ["-nostdin", "-v", "error", "-y", "-ss", seek, "-i", source.path, "-frames:v", "1",
                     "-vf", "scale=320:-2", "-q:v", "4", partial.path],
            timeout: timeout)
        guard result.status == 0, FileManager.default.fileExists(atPath: partial.path) else {
            try? FileManager.default.removeItem(at: partial)
            if result.timedOut { throw JobFailure("ffmpeg took longer than \(timeout)") }
            return try await fail(request.videoID, reason: "no frame could be read from the video", logger: logger)
        }
        // rename(2) replaces atomically, so nginx never serves half a file.
        guard rename(partial.path, target.path) == 0 else {
            throw JobFailure("cannot move the thumbnail into place: errno \(errno)")
        }
        try await database.query("""
            UPDATE content.videos
            SET status = 'ready', thumbnail_path = \(relative), duration_seconds = \(duration), updated_at = now()
            WHERE id = \(request.videoID) AND status = 'processing'
            """, logger: logger)
        logger.info("thumbnail ready", metadata: ["video_id": .string(request.videoID.uuidString), "duration_s": "\(duration)"])
    }

    /// The upload's absolute location, if it stays inside the media folder and exists.
    func mediaFile(_ relative: String) -> URL? {
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else { return nil }
        let url = mediaDirectory.appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    private func fail(_ videoID: UUID, reason: String, logger: Logger) async throws {
        try await database.query("""
            UPDATE content.videos SET status = 'failed', failure_reason = \(reason), updated_at = now()
            WHERE id = \(videoID) AND status = 'processing'
            """, logger: logger)
        throw JobFailure(reason, permanent: true)
    }
}
