import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import Shared

/// Makes the web-playable rendition of an uploaded video: H.264/AAC in MP4 with the index up
/// front (`faststart`, so playback starts before the download ends), at most 1280×720 with the
/// aspect ratio kept. ffmpeg runs as a time-limited child process reading only local files; its
/// progress goes out with the job's lease heartbeat. The video is ready once its thumbnail is
/// there too.
struct TranscodeHandler: JobHandler {
    let outputs: VideoOutputs
    let progress: JobProgress
    var timeout: Duration = .seconds(1800)
    /// x264's speed/size trade-off; `veryfast` keeps a 2-core machine responsive.
    var preset = "veryfast"

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        let request = try job.decodePayload(as: TranscodeJob.self)
        let id = request.videoID
        guard case .needed(let known) = try await outputs.state(of: id, .rendition, logger: logger) else {
            logger.info("rendition not needed")
            return
        }
        guard let source = outputs.media.resolve(request.sourcePath), FileManager.default.fileExists(atPath: source.path) else {
            try await outputs.fail(id, reason: "the upload is missing", logger: logger)
        }
        var duration = known
        if duration == nil {
            let probe = try await outputs.tools.duration(of: source)
            guard let probed = probe.seconds else {
                if probe.timedOut { try await outputs.retry(job, id, reason: "ffprobe timed out", logger: logger) }
                return try await outputs.reject(id, reason: "the file is not a video we can read", logger: logger)
            }
            duration = probed
        }
        let total = duration ?? 0

        let relative = VideoOutputs.Output.rendition.relative(id)
        let partial = outputs.media.url(MediaLayout.partial(relative))
        try FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
        let result = try await outputs.tools.ffmpeg(Self.arguments(source: source.path, target: partial.path, preset: preset),
                                                    timeout: timeout) { line in
            // -progress prints key=value lines; out_time_us is the position reached so far.
            guard total > 0, line.hasPrefix("out_time_us="), let micros = Double(line.dropFirst("out_time_us=".count)) else { return }
            progress.update(job, micros / 1e6 / total)
        }
        guard VideoOutputs.made(partial, by: result) else {
            try? FileManager.default.removeItem(at: partial)
            if result.timedOut { try await outputs.retry(job, id, reason: "encoding took longer than \(timeout)", logger: logger) }
            try await outputs.waitForSpaceIfFull(ffmpegOutput: result.output, logger: logger)
            logger.warning("ffmpeg failed", metadata: ["output": .string(result.output)])
            // ffprobe read it, so the encoder's failure may be ours (disk, memory): retried, and a
            // dead letter after the last attempt.
            try await outputs.retry(job, id, reason: "the video could not be encoded", logger: logger)
        }
        progress.update(job, 1)
        try await outputs.publish(id, .rendition, relative: relative, logger: logger)
    }

    func buried(_ job: ClaimedJob, logger: Logger) async throws {
        try await outputs.interrupted(try job.decodePayload(as: TranscodeJob.self).videoID, .rendition, attempts: job.attempt, logger: logger)
    }

    static func arguments(source: String, target: String, preset: String) -> [String] {
        ["-y"] + MediaTools.inputOptions + [
            "-i", source, "-map", "0:v:0", "-map", "0:a:0?",
            "-c:v", "libx264", "-preset", preset, "-crf", "23", "-pix_fmt", "yuv420p",
            "-vf", "scale=w='min(1280,iw)':h='min(720,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2",
            "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-movflags", "+faststart", "-progress", "pipe:1", "-nostats", "-f", "mp4", target,
        ]
    }
}
