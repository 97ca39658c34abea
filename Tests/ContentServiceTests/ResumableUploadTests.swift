import Foundation
import NIOCore
import Testing
import TestSupport
@testable import ContentService
@testable import Shared

/// tus 1.0 uploads: create, PATCH at offsets, HEAD after a break, the video at the end, expiry.
@Suite struct ResumableUploadTests {
    static let tus = ["Tus-Resumable": "1.0.0"]

    func create(_ server: ContentServer, length: Int, title: String = "phone clip", as caller: ContentServer.Caller?) async throws -> HTTPReply {
        let metadata = "title \(Data(title.utf8).base64EncodedString()),filename \(Data("IMG_0001.MOV".utf8).base64EncodedString())"
        return try await server.call(.POST, "/api/videos/uploads",
                                     headers: Self.tus.merging(["Upload-Length": String(length), "Upload-Metadata": metadata]) { $1 }, as: caller)
    }

    func patch(_ server: ContentServer, _ location: String, offset: Int, _ bytes: ArraySlice<UInt8>, as caller: ContentServer.Caller) async throws -> HTTPReply {
        try await server.call(.PATCH, location, bytes: ByteBuffer(bytes: bytes),
                              headers: Self.tus.merging(["Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"]) { $1 },
                              as: caller)
    }

    @Test func anInterruptedUploadResumesFromTheReportedOffsetAndBecomesAVideo() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let file = ContentServer.fakeMP4(size: 1_000_000)
            let created = try await create(server, length: file.count, as: owner)
            #expect(created.status == 201, "\(created.body)")
            let location = try #require(created.header("Location"))
            #expect(created.header("Tus-Resumable") == "1.0.0" && created.header("Upload-Offset") == "0")
            #expect(created.header("Upload-Expires") != nil)

            #expect(try await patch(server, location, offset: 0, file[0..<400_000], as: owner).header("Upload-Offset") == "400000")
            // A client that lost the answer and resends from 0 is told where the upload is.
            let stale = try await patch(server, location, offset: 0, file[0..<10], as: owner)
            #expect(stale.status == 409 && stale.header("Upload-Offset") == "400000")
            // Cut off mid-chunk: what arrived is kept.
            let head = "PATCH \(location) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(owner.token)\r\nTus-Resumable: 1.0.0\r\n"
                + "Upload-Offset: 400000\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 600000\r\n\r\n"
            try await RawHTTP.hangUp(port: server.port, head: head, body: Array(file[400_000..<700_000]))
            // Settled once the broken PATCH has given its lease back: an empty PATCH at the
            // reported offset is then accepted.
            var offset = -1
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let status = try await server.call(.HEAD, location, headers: Self.tus, as: owner)
                let reported = Int(status.header("Upload-Offset") ?? "") ?? -1
                if reported > 400_000, try await patch(server, location, offset: reported, file[reported..<reported], as: owner).status == 204 {
                    offset = reported
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let settled = offset > 0
            #expect(settled && offset <= 700_000, "offset \(offset)")
            #expect(try await server.call(.HEAD, location, headers: Self.tus, as: owner).header("Upload-Length") == String(file.count))

            let last = try await patch(server, location, offset: offset, file[offset...], as: owner)
            #expect(last.status == 202, "\(last.body)")
            #expect(last["status"] == "processing" && last.header("Upload-Offset") == String(file.count))
            let id = try #require(last["id"])
            #expect(try Data(contentsOf: server.media.url("originals/\(id).mp4")) == Data(file))
            #expect(server.mediaFiles() == ["originals/\(id).mp4"])
            // Processing: its owner's to see, nobody else's yet.
            let video = try await server.call(.GET, "/api/videos/\(id)", as: owner)
            #expect(video["title"] == "phone clip" && video["status"] == "processing")
            #expect(try await server.call(.GET, "/api/videos/\(id)").status == 404)
            #expect(try await server.jobKinds().filter { $0.hasPrefix("video.") } == [ThumbnailJob.kind, TranscodeJob.kind])
            // The upload itself is gone.
            #expect(try await server.call(.HEAD, location, headers: Self.tus, as: owner).status == 404)
        }
    }

    @Test func uploadsAreTheirOwnersAndCheckedLikeOthers() async throws {
        try await ContentServer.run(["CONTENT_MAX_UPLOAD_BYTES": "100000"]) { server in
            let owner = try await server.caller()
            let other = try await server.caller()
            #expect(try await create(server, length: 10, as: nil).status == 401)
            #expect(try await create(server, length: 200_000, as: owner).status == 413)
            #expect(try await create(server, length: 10, title: "", as: owner).errorCode == "invalid_title")
            let noVersion = try await server.call(.POST, "/api/videos/uploads", headers: ["Upload-Length": "10"], as: owner)
            #expect(noVersion.status == 412 && noVersion.header("Tus-Version") == "1.0.0")
            let options = try await server.call(.OPTIONS, "/api/videos/uploads")
            #expect(options.status == 204 && options.header("Tus-Max-Size") == "100000")
            #expect(options.header("Tus-Extension")?.contains("creation") == true)

            let text = Array(String(repeating: "plain text ", count: 10).utf8)
            let location = try #require(try await create(server, length: text.count, as: owner).header("Location"))
            #expect(try await server.call(.HEAD, location, headers: Self.tus, as: other).status == 404)
            #expect(try await patch(server, location, offset: 0, text[...], as: other).status == 404)
            let wrongType = try await server.call(.PATCH, location, bytes: ByteBuffer(bytes: text),
                                                  headers: Self.tus.merging(["Upload-Offset": "0", "Content-Type": "video/mp4"]) { $1 }, as: owner)
            #expect(wrongType.status == 415)
            // Not a video: refused once its first bytes are in, and nothing is kept.
            #expect(try await patch(server, location, offset: 0, text[...], as: owner).status == 415)
            #expect(try await server.call(.HEAD, location, headers: Self.tus, as: owner).status == 404)
            #expect(server.mediaFiles().isEmpty)

            // Termination.
            let second = try #require(try await create(server, length: 50, as: owner).header("Location"))
            #expect(try await server.call(.DELETE, second, headers: Self.tus, as: owner).status == 204)
            #expect(try await server.call(.HEAD, second, headers: Self.tus, as: owner).status == 404)
            #expect(server.mediaFiles().isEmpty)
        }
    }

    @Test func abandonedUploadsExpireAndTheirBytesAreThrownAway() async throws {
        try await ContentServer.run(["CONTENT_UPLOAD_EXPIRY_SECONDS": "1", "CONTENT_UPLOAD_SWEEP_SECONDS": "1"]) { server in
            let owner = try await server.caller()
            let file = ContentServer.fakeMP4(size: 5000)
            let location = try #require(try await create(server, length: file.count, as: owner).header("Location"))
            #expect(try await patch(server, location, offset: 0, file[0..<1000], as: owner).status == 204)
            #expect(server.mediaFiles().count == 1)
            let gone = try await server.eventually(timeout: .seconds(10)) {
                let status = try await server.call(.HEAD, location, headers: Self.tus, as: owner).status
                return server.mediaFiles().isEmpty && status == 404
            }
            #expect(gone)
        }
    }
}
