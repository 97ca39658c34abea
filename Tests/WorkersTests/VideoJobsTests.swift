import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import Testing
import TestSupport
@testable import Shared
@testable import Workers

/// With real ffmpeg: the thumbnail and transcode jobs of a generated video, the video's status
/// through both, failures, and a video deleted while its job runs.
@Suite struct VideoJobsTests {
    struct Fixture {
        var db: Database
        var media: MediaLayout
        var outputs: VideoOutputs { VideoOutputs(database: db, media: media) }
    }

    func withVideos(_ body: (Fixture) async throws -> Void) async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "videojobs") { url in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("originals"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: root) }
            try await TestEnvironment.withDatabase(url: url) { db in
                // The videos table belongs to ContentService; use its migrations as they are.
                let contentMigrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                    .appendingPathComponent("../../Sources/ContentService/Migrations").standardizedFileURL
                try await Migrator.migrate(
                    [try .queue(), try MigrationSet(schema: "content", directory: contentMigrations)],
                    database: db, logger: TestEnvironment.logger)
                try await body(Fixture(db: db, media: MediaLayout(root: root)))
            }
        }
    }

    /// A generated clip (with sound) of `seconds` at `size`, as an upload of video `id`.
    func makeClip(_ fixture: Fixture, _ id: UUID, seconds: Int = 2, size: String = "640x360") async throws -> String {
        let path = MediaLayout.original(id, container: "mp4")
        let made = try await ChildProcess.run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=\(seconds):size=\(size):rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)", "-shortest",
            "-pix_fmt", "yuv420p", "-c:v", "mpeg4", "-c:a", "aac", fixture.media.url(path).path], timeout: .seconds(60))
        #expect(made.status == 0, "\(made.output)")
        return path
    }

    func insertVideo(_ db: Database, _ id: UUID = UUID(), path: String) async throws -> UUID {
        try await db.query("""
            INSERT INTO content.videos (id, owner_id, title, source_path) VALUES (\(id), 'u1', 'clip', \(path))
            """, logger: TestEnvironment.logger)
        return id
    }

    /// A half-made output file, as a job leaves it before renaming it into place.
    func writePartial(_ fixture: Fixture, _ relative: String, _ bytes: Data) throws -> URL {
        let partial = fixture.media.url(MediaLayout.partial(relative))
        try FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true)
        try bytes.write(to: partial)
        return partial
    }

    func job<T: Encodable>(_ payload: T, kind: String, attempt: Int32 = 1) throws -> ClaimedJob {
        ClaimedJob(id: 1, queue: "video", kind: kind, payload: String(decoding: try JSONEncoder().encode(payload), as: UTF8.self),
                   attempt: attempt, maxAttempts: 3, createdAt: Date(), runAt: Date())
    }

    func thumbnail(_ fixture: Fixture, _ id: UUID, _ path: String) async throws {
        try await ThumbnailHandler(outputs: fixture.outputs)
            .handle(try job(ThumbnailJob(videoID: id, sourcePath: path), kind: ThumbnailJob.kind), logger: TestEnvironment.logger)
    }

    func transcode(_ fixture: Fixture, _ id: UUID, _ path: String, progress: JobProgress = JobProgress()) async throws {
        try await TranscodeHandler(outputs: fixture.outputs, progress: progress)
            .handle(try job(TranscodeJob(videoID: id, sourcePath: path), kind: TranscodeJob.kind), logger: TestEnvironment.logger)
    }

    struct Row: Equatable {
        var status: String
        var thumbnail: String?
        var rendition: String?
        var duration: Double?
        var reason: String?
    }

    func video(_ db: Database, _ id: UUID) async throws -> Row? {
        try await db.query("""
            SELECT status, thumbnail_path, rendition_path, duration_seconds, failure_reason FROM content.videos WHERE id = \(id)
            """, logger: TestEnvironment.logger).first.map { row in
            let (status, thumbnail, rendition, duration, reason) = try row.decode((String, String?, String?, Double?, String?).self)
            return Row(status: status, thumbnail: thumbnail, rendition: rendition, duration: duration, reason: reason)
        }
    }

    func ffprobe(_ url: URL, _ entries: String) async throws -> String {
        try await ChildProcess.run("/usr/bin/ffprobe", ["-v", "error", "-show_entries", entries, "-of", "default=noprint_wrappers=1", url.path],
                                   timeout: .seconds(30)).output
    }

    @Test func theVideoIsReadyOnlyOnceBothJobsAreDone() async throws {
        try await withVideos { fixture in
            let id = UUID()
            let path = try await makeClip(fixture, id, size: "1920x1080")
            _ = try await insertVideo(fixture.db, id, path: path)

            try await thumbnail(fixture, id, path)
            var row = try #require(try await video(fixture.db, id))
            #expect(row.status == "processing" && row.thumbnail == MediaLayout.thumbnail(id) && row.rendition == nil)
            #expect(abs((row.duration ?? 0) - 2.0) < 0.1)
            let jpeg = try Data(contentsOf: fixture.media.url(MediaLayout.thumbnail(id)))
            #expect(jpeg.starts(with: [0xFF, 0xD8]))
            #expect(try await ffprobe(fixture.media.url(MediaLayout.thumbnail(id)), "stream=width").contains("width=320"))

            try await transcode(fixture, id, path)
            row = try #require(try await video(fixture.db, id))
            #expect(row.status == "ready" && row.rendition == MediaLayout.rendition(id))
            let rendition = fixture.media.url(MediaLayout.rendition(id))
            let streams = try await ffprobe(rendition, "stream=codec_name,width,height")
            #expect(streams.contains("codec_name=h264") && streams.contains("codec_name=aac"))
            #expect(streams.contains("width=1280") && streams.contains("height=720"))
            // faststart: the index (moov) comes before the media data (mdat).
            let head = try Data(contentsOf: rendition).prefix(4096)
            let moov = try #require(head.range(of: Data("moov".utf8)))
            #expect(head.range(of: Data("mdat".utf8)).map { moov.lowerBound < $0.lowerBound } ?? true)
            // No partial files are left.
            let left = try FileManager.default.subpathsOfDirectory(atPath: fixture.media.root.path).filter { $0.hasSuffix(".partial") }
            #expect(left.isEmpty)

            // Jobs that run again change nothing.
            try await thumbnail(fixture, id, path)
            try await transcode(fixture, id, path)
            #expect(try await video(fixture.db, id)?.status == "ready")
        }
    }

    @Test func transcodingReportsItsProgress() async throws {
        try await withVideos { fixture in
            let id = UUID()
            let path = try await makeClip(fixture, id, seconds: 4)
            _ = try await insertVideo(fixture.db, id, path: path)
            let reports = NIOLockedValueBox<[Double]>([])
            let progress = JobProgress { _, fraction in reports.withLockedValue { $0.append(fraction) } }
            try await transcode(fixture, id, path, progress: progress)
            #expect(progress.snapshot == [1: 1])
            let seen = reports.withLockedValue { $0 }
            #expect(seen.last == 1)
            #expect(seen.allSatisfy { (0...1).contains($0) })
            #expect(seen == seen.sorted())
        }
    }

    /// A user's unreadable file is the job's outcome, not an operator's incident: the video fails
    /// with its reason and the job completes (no dead letter, no DeadJobs alert).
    @Test func aFileThatIsNotAVideoFailsTheVideoAndCompletesTheJob() async throws {
        try await withVideos { fixture in
            // Whichever job runs first fails the video; the other then has nothing to do.
            for transcodeFirst in [false, true] {
                let id = UUID()
                let path = MediaLayout.original(id, container: "mp4")
                try "just text".write(to: fixture.media.url(path), atomically: true, encoding: .utf8)
                _ = try await insertVideo(fixture.db, id, path: path)
                if transcodeFirst { try await transcode(fixture, id, path) } else { try await thumbnail(fixture, id, path) }
                let row = try #require(try await video(fixture.db, id))
                #expect(row.status == "failed" && row.thumbnail == nil && row.rendition == nil)
                #expect(row.reason?.contains("not a video") == true)
                if transcodeFirst { try await thumbnail(fixture, id, path) } else { try await transcode(fixture, id, path) }
                #expect(try await video(fixture.db, id)?.status == "failed")
            }
        }
    }

    @Test func aVideoDeletedWhileItsJobRunsLeavesNoFiles() async throws {
        try await withVideos { fixture in
            let id = UUID()
            let path = try await makeClip(fixture, id)
            _ = try await insertVideo(fixture.db, id, path: path)
            // The job has read the row; the video is deleted before the job records its output.
            let partial = try writePartial(fixture, MediaLayout.thumbnail(id), Data([0xFF, 0xD8, 0xFF]))
            try await fixture.db.query("DELETE FROM content.videos WHERE id = \(id)", logger: TestEnvironment.logger)
            try await fixture.outputs.publish(id, .thumbnail, relative: MediaLayout.thumbnail(id), logger: TestEnvironment.logger)
            #expect(!FileManager.default.fileExists(atPath: fixture.media.url(MediaLayout.thumbnail(id)).path))
            #expect(!FileManager.default.fileExists(atPath: partial.path))
            // A job that starts after the delete has nothing to do and does not fail.
            try await transcode(fixture, id, path)
            #expect(!FileManager.default.fileExists(atPath: fixture.media.url(MediaLayout.rendition(id)).path))
        }
    }

    /// A job whose last attempt died with its worker is dead without its handler having run to
    /// the end: told of it by the rescue, the handler fails the video and removes the half-made
    /// file, so no video stays `processing` for good.
    @Test func aVideoWhoseLastAttemptDiedWithItsWorkerFails() async throws {
        try await withVideos { fixture in
            let id = UUID()
            let path = try await makeClip(fixture, id)
            _ = try await insertVideo(fixture.db, id, path: path)
            let partial = try writePartial(fixture, MediaLayout.rendition(id), Data("half a video".utf8))
            let queue = JobQueue(database: fixture.db, logger: TestEnvironment.logger)
            try await queue.enqueue([try NewJob(queue: "video", kind: TranscodeJob.kind, payload: TranscodeJob(videoID: id, sourcePath: path),
                                                maxAttempts: 1)])
            _ = try await queue.claim(queues: ["video"], limit: 1, worker: "killed", lease: .milliseconds(50))
            let rescue = try await eventuallyValue { () -> JobQueue.Rescue? in
                let rescue = try await queue.rescueExpiredLeases()
                return rescue.buried.isEmpty ? nil : rescue
            }
            let buried = try #require(rescue?.buried.first)
            try await TranscodeHandler(outputs: fixture.outputs, progress: JobProgress()).buried(buried, logger: TestEnvironment.logger)
            let row = try #require(try await video(fixture.db, id))
            #expect(row.status == "failed" && row.reason == "processing stopped: its worker was lost (attempt 1 of 1)")
            #expect(!FileManager.default.fileExists(atPath: partial.path))
        }
    }

    /// ffmpeg's words for a full volume, or a volume nearly out of space, make a video job wait for
    /// space rather than spend its attempts; any other failure does not.
    @Test func aFullVolumeIsToldApartFromABadVideo() {
        #expect(VideoOutputs.isFull(ffmpegOutput: "av_interleaved_write_frame(): No space left on device", freeBytes: 1 << 30))
        #expect(VideoOutputs.isFull(ffmpegOutput: "", freeBytes: 1 << 20))
        #expect(!VideoOutputs.isFull(ffmpegOutput: "Invalid data found when processing input", freeBytes: 1 << 30))
        #expect(!VideoOutputs.isFull(ffmpegOutput: "Invalid data found when processing input", freeBytes: nil))
    }

    @Test func aPlaylistPosingAsAVideoIsNotRead() async throws {
        // An HLS playlist naming a file elsewhere on the machine: ffmpeg's hls demuxer would
        // read that file into the thumbnail. Only the video containers' demuxers may open uploads.
        try await withVideos { fixture in
            let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("segment-\(UUID().uuidString).ts")
            defer { try? FileManager.default.removeItem(at: elsewhere) }
            let made = try await ChildProcess.run("/usr/bin/ffmpeg", [
                "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=25", elsewhere.path],
                timeout: .seconds(60))
            #expect(made.status == 0)
            let id = UUID()
            let path = MediaLayout.original(id, container: "mp4")
            try "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n\(elsewhere.path)\n#EXT-X-ENDLIST\n"
                .write(to: fixture.media.url(path), atomically: true, encoding: .utf8)
            _ = try await insertVideo(fixture.db, id, path: path)
            // The user's file is refused: the video fails and the job is done, no dead letter.
            try await thumbnail(fixture, id, path)
            let row = try #require(try await video(fixture.db, id))
            #expect(row.status == "failed" && row.thumbnail == nil)
            #expect(!FileManager.default.fileExists(atPath: fixture.media.url(MediaLayout.thumbnail(id)).path))
        }
    }

    @Test func mediaToolsRunUnderAMemoryLimit() async throws {
        var tools = MediaTools()
        #expect(try await tools.ffmpeg(["-version"], timeout: .seconds(30)).status == 0)
        tools.maxMemoryBytes = 8 << 20
        // ffmpeg cannot even load its libraries in 8 MB of address space.
        #expect(try await tools.ffmpeg(["-version"], timeout: .seconds(30)).status != 0)
    }

    @Test func refusesPathsOutsideTheMediaFolder() async throws {
        try await withVideos { fixture in
            #expect(fixture.media.resolve("../etc/passwd") == nil)
            #expect(fixture.media.resolve("/etc/passwd") == nil)
            let id = try await insertVideo(fixture.db, path: "../secret.mp4")
            await #expect(throws: JobFailure.self) { try await thumbnail(fixture, id, "../secret.mp4") }
            #expect(try await video(fixture.db, id)?.status == "failed")
        }
    }

    @Test func childProcessesAreKilledAtTheirTimeLimit() async throws {
        let started = ContinuousClock.now
        let result = try await ChildProcess.run("/bin/sleep", ["30"], timeout: .milliseconds(300))
        #expect(result.timedOut)
        // Far sooner than the child would have ended by itself, with room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
