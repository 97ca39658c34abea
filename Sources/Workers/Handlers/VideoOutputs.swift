import Foundation
import Logging
import Metrics
import NIOPosix
import PostgresNIO
import Shared

/// What the thumbnail and transcode jobs share: the video's state, recording a finished output
/// (the video is ready once both outputs are there), failing the video, and cleaning up after a
/// video that was deleted while its job ran.
struct VideoOutputs: Sendable {
    let database: Database
    let media: MediaLayout
    var tools = MediaTools()

    enum Output: String, Sendable {
        case thumbnail, rendition

        var column: String { self == .thumbnail ? "thumbnail_path" : "rendition_path" }
        /// The output's file under the media folder.
        func relative(_ id: UUID) -> String { self == .thumbnail ? MediaLayout.thumbnail(id) : MediaLayout.rendition(id) }
        /// The other output: the video is ready when both are set.
        var other: String { self == .thumbnail ? "rendition_path" : "thumbnail_path" }
    }

    enum State: Equatable {
        /// Deleted, failed, or this output is already there: nothing to do.
        case nothingToDo(String)
        case needed(durationSeconds: Double?)
    }

    func state(of id: UUID, _ output: Output, logger: Logger) async throws -> State {
        let rows = try await database.query("""
            SELECT status, \(unescaped: output.column) IS NOT NULL, duration_seconds FROM content.videos WHERE id = \(id)
            """, logger: logger)
        guard let row = rows.first else { return .nothingToDo("the video was deleted") }
        let (status, done, duration) = try row.decode((String, Bool, Double?).self)
        if status == "failed" { return .nothingToDo("the video has failed") }
        if done { return .nothingToDo("the \(output.rawValue) is already there") }
        return .needed(durationSeconds: duration)
    }

    /// Moves a finished file from its partial name into place and records it. A video deleted
    /// (or failed) meanwhile gets its file removed again, so nothing outlives the row.
    func publish(_ id: UUID, _ output: Output, relative: String, durationSeconds: Double? = nil, logger: Logger) async throws {
        let target = media.url(relative)
        // rename(2) replaces atomically, so nginx never serves half a file.
        guard rename(media.url(MediaLayout.partial(relative)).path, target.path) == 0 else {
            throw JobFailure("cannot move the \(output.rawValue) into place: errno \(errno)")
        }
        let updated = try await database.query("""
            UPDATE content.videos SET \(unescaped: output.column) = \(relative),
                duration_seconds = coalesce(\(durationSeconds), duration_seconds),
                status = CASE WHEN \(unescaped: output.other) IS NOT NULL THEN 'ready' ELSE status END,
                updated_at = now()
            WHERE id = \(id) AND status = 'processing'
            RETURNING status
            """, logger: logger)
        if let row = updated.first {
            let status = try row.decode(String.self)
            logger.info("\(output.rawValue) ready", metadata: ["video_id": .string(id.uuidString), "status": .string(status)])
            return
        }
        let status = try await database.query("SELECT status FROM content.videos WHERE id = \(id)", logger: logger)
            .first.map { try $0.decode(String.self) }
        if status == nil || status == "failed" {
            try? FileManager.default.removeItem(at: target)
            logger.info("\(output.rawValue) made for a video that is \(status ?? "deleted"); removed it")
        }
    }

    /// The upload is not a video we can use: the video fails with `reason`, which its owner sees,
    /// and the job is done. A user's unreadable file is the job's answer, not an operator's
    /// incident: no dead letter, no alert; `videos_rejected_total` counts them.
    func reject(_ id: UUID, reason: String, logger: Logger) async throws {
        try await markFailed(id, reason: reason, logger: logger)
        Counter(label: "videos_rejected_total").increment()
        logger.info("video rejected", metadata: ["video_id": .string(id.uuidString), "reason": .string(reason)])
    }

    /// Something on our side went wrong for good (the upload is gone, every attempt failed): the
    /// video fails, and so does the job, into the dead letters an operator looks at.
    func fail(_ id: UUID, reason: String, logger: Logger) async throws -> Never {
        try await markFailed(id, reason: reason, logger: logger)
        throw JobFailure(reason, permanent: true)
    }

    /// The output's last attempt died with its worker: the video fails as on a last attempt that
    /// failed, and the half-made file goes.
    func interrupted(_ id: UUID, _ output: Output, attempts: Int32, logger: Logger) async throws {
        let partial = media.url(MediaLayout.partial(output.relative(id)))
        _ = try? await NIOThreadPool.singleton.runIfActive { try? FileManager.default.removeItem(at: partial) }
        try await markFailed(id, reason: "processing stopped: its worker was lost (attempt \(attempts) of \(attempts))", logger: logger)
        logger.warning("video failed: its last attempt was interrupted", metadata: ["video_id": .string(id.uuidString)])
    }

    private func markFailed(_ id: UUID, reason: String, logger: Logger) async throws {
        try await database.query("""
            UPDATE content.videos SET status = 'failed', failure_reason = \(reason), updated_at = now()
            WHERE id = \(id) AND status = 'processing'
            """, logger: logger)
    }

    /// When ffmpeg failed for want of space on the media volume (its output names ENOSPC, or less
    /// than `minFreeBytes` is left), the job waits for space without spending an attempt: no
    /// number of attempts helps until an operator frees some, and the video must not fail for it.
    func waitForSpaceIfFull(ffmpegOutput: String, logger: Logger) async throws {
        let free = try? await NIOThreadPool.singleton.runIfActive { [root = media.root] in MediaLayout.freeBytes(under: root) }
        guard Self.isFull(ffmpegOutput: ffmpegOutput, freeBytes: free ?? nil) else { return }
        logger.warning("the media volume is full; the job waits for space", metadata: ["free_bytes": "\((free ?? nil).map(String.init) ?? "-")"])
        Counter(label: "jobs_media_volume_full_total").increment()
        throw JobFailure.notNow("the media volume is full", retryIn: .seconds(30))
    }

    static let minFreeBytes: Int64 = 16 << 20

    /// Whether ffmpeg made the file: it exited 0, and the file is there and not empty (on a full
    /// volume ffmpeg can exit 0 having written nothing).
    static func made(_ file: URL, by result: ChildProcess.Result) -> Bool {
        guard result.status == 0, let size = try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber else {
            return false
        }
        return size.int64Value > 0
    }

    static func isFull(ffmpegOutput: String, freeBytes: Int64?) -> Bool {
        ffmpegOutput.contains("No space left on device") || ffmpegOutput.contains("Disk quota exceeded")
            || (freeBytes.map { $0 < minFreeBytes } ?? false)
    }

    /// A transient failure; on the job's last attempt the video is failed with it, so no video
    /// stays `processing` forever.
    func retry(_ job: ClaimedJob, _ id: UUID, reason: String, logger: Logger) async throws -> Never {
        if job.isLastAttempt { try await fail(id, reason: reason, logger: logger) }
        throw JobFailure(reason)
    }
}
