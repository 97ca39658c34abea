import Foundation
import NIOCore
import Shared
import TestSupport
@testable import ContentService

/// Uploads and videos for the tests: multipart bodies, files that look like videos, and rows
/// made directly when a test needs a video but not an upload.
extension ContentServer {
    static let boundary = "test-boundary-7d2a"

    /// The first bytes of an MP4 (an `ftyp` box), then `size - 24` bytes of filler: enough for the
    /// service, which checks the container and leaves decoding to the Workers.
    static func fakeMP4(size: Int = 4096) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 24] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isommp41".utf8)
        bytes += (0..<max(0, size - bytes.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        return bytes
    }

    static func multipart(title: String?, file: [UInt8]?, filename: String = "clip.mp4") -> ByteBuffer {
        var body = ByteBuffer()
        if let title {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n\(title)\r\n")
        }
        if let file {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n")
            body.writeString("Content-Type: video/mp4\r\n\r\n")
            body.writeBytes(file)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return body
    }

    /// `POST /api/videos` with a multipart body.
    func upload(title: String? = "clip", file: [UInt8]? = ContentServer.fakeMP4(), as caller: Caller?) async throws -> HTTPReply {
        try await call(.POST, "/api/videos", bytes: Self.multipart(title: title, file: file),
                       headers: ["Content-Type": "multipart/form-data; boundary=\(Self.boundary)"], as: caller)
    }

    /// Uploads a video and returns its id.
    /// An uploaded video, made ready as the Workers would (so anyone may see it), unless `ready` is false.
    func video(as caller: Caller, ready: Bool = true) async throws -> String {
        let reply = try await upload(as: caller)
        guard reply.status == 202, let id = reply["id"] else { throw TestFailure("upload answered \(reply.status): \(reply.body)") }
        if ready { try await markReady(id) }
        return id
    }

    func markReady(_ id: String) async throws {
        _ = try await withDatabase { db in
            try await db.query("""
                UPDATE content.videos SET status = 'ready', thumbnail_path = 'thumbnails/' || id || '.jpg',
                    rendition_path = 'renditions/' || id || '.mp4', duration_seconds = 1 WHERE id = \(UUID(uuidString: id)!)
                """, logger: TestEnvironment.logger)
        }
    }

    /// Every file under the media folder, relative to it.
    func mediaFiles() -> [String] {
        let all = (try? FileManager.default.subpathsOfDirectory(atPath: media.root.path)) ?? []
        return all.filter { path in
            var directory: ObjCBool = false
            return FileManager.default.fileExists(atPath: media.root.appendingPathComponent(path).path, isDirectory: &directory) && !directory.boolValue
        }.sorted()
    }

    /// The kinds of the jobs waiting in the queue.
    func jobKinds() async throws -> [String] {
        try await withDatabase { db in
            try await db.query("SELECT kind FROM queue.jobs ORDER BY id", logger: TestEnvironment.logger).map { try $0.decode(String.self) }
        }
    }
}
