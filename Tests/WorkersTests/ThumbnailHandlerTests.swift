import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Shared
@testable import Workers

/// With real ffmpeg: a generated two-second video gets a JPEG thumbnail; a text file fails the video.
@Suite struct ThumbnailHandlerTests {
    func withVideos(_ body: (Database, URL) async throws -> Void) async throws {
        let url = try await TestEnvironment.scratchDatabase(prefix: "thumb")
        let media = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: media.appendingPathComponent("uploads"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: media) }
        try await TestEnvironment.withDatabase(url: url) { db in
            // The videos table belongs to ContentService; use its migrations as they are.
            let contentMigrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../Sources/ContentService/Migrations").standardizedFileURL
            try await Migrator.migrate(
                [try .queue(), try MigrationSet(schema: "content", directory: contentMigrations)],
                database: db, logger: TestEnvironment.logger)
            try await body(db, media)
        }
    }

    func insertVideo(_ db: Database, path: String) async throws -> UUID {
        let id = UUID()
        try await db.query("""
            INSERT INTO content.videos (id, owner_id, title, source_path) VALUES (\(id), 'u1', 'clip', \(path))
            """, logger: TestEnvironment.logger)
        return id
    }

    func job(_ id: UUID, _ path: String) throws -> ClaimedJob {
        ClaimedJob(id: 1, queue: ThumbnailJob.queue, kind: ThumbnailJob.kind,
                   payload: String(decoding: try JSONEncoder().encode(ThumbnailJob(videoID: id, sourcePath: path)), as: UTF8.self),
                   attempt: 1, maxAttempts: 5, createdAt: Date(), runAt: Date())
    }

    func video(_ db: Database, _ id: UUID) async throws -> (String, String?, Double?, String?) {
        try await db.query("""
            SELECT status, thumbnail_path, duration_seconds, failure_reason FROM content.videos WHERE id = \(id)
            """, logger: TestEnvironment.logger)[0].decode((String, String?, Double?, String?).self)
    }

    @Test func makesAThumbnailAndMarksTheVideoReady() async throws {
        try await withVideos { db, media in
            let path = "uploads/clip.mp4"
            let made = try await ChildProcess.run("/usr/bin/ffmpeg", [
                "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=640x360:rate=25",
                "-pix_fmt", "yuv420p", media.appendingPathComponent(path).path], timeout: .seconds(60))
            #expect(made.status == 0)
            let id = try await insertVideo(db, path: path)
            let handler = ThumbnailHandler(database: db, mediaDirectory: media)
            try await handler.handle(try job(id, path), logger: TestEnvironment.logger)
            let (status, thumbnail, duration, _) = try await video(db, id)
            #expect(status == "ready")
            let thumbnailFile = media.appendingPathComponent(try #require(thumbnail))
            let bytes = try Data(contentsOf: thumbnailFile)
            #expect(bytes.starts(with: [0xFF, 0xD8]))  // a JPEG
            #expect(abs((duration ?? 0) - 2.0) < 0.1)
            // Run again (a retried job): nothing changes and nothing fails.
            try await handler.handle(try job(id, path), logger: TestEnvironment.logger)
            #expect(try await video(db, id).0 == "ready")
        }
    }

    @Test func aFileThatIsNotAVideoFailsForGood() async throws {
        try await withVideos { db, media in
            let path = "uploads/notes.mp4"
            try "just text".write(to: media.appendingPathComponent(path), atomically: true, encoding: .utf8)
            let id = try await insertVideo(db, path: path)
            do {
                try await ThumbnailHandler(database: db, mediaDirectory: media).handle(try job(id, path), logger: TestEnvironment.logger)
                Issue.record("a text file was accepted as a video")
            } catch let failure as JobFailure {
                #expect(failure.permanent)
            }
            let (status, thumbnail, _, reason) = try await video(db, id)
            #expect(status == "failed" && thumbnail == nil)
            #expect(reason?.contains("not a video") == true)
        }
    }

    @Test func refusesPathsOutsideTheMediaFolder() async throws {
        try await withVideos { db, media in
            let handler = ThumbnailHandler(database: db, mediaDirectory: media)
            #expect(handler.mediaFile("../etc/passwd") == nil)
            #expect(handler.mediaFile("/etc/passwd") == nil)
            let id = try await insertVideo(db, path: "../secret.mp4")
            await #expect(throws: JobFailure.self) {
                try await handler.handle(try job(id, "../secret.mp4"), logger: TestEnvironment.logger)
            }
            #expect(try await video(db, id).0 == "failed")
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
