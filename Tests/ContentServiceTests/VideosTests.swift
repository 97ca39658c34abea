import Foundation
import NIOCore
import Testing
import TestSupport
@testable import ContentService
@testable import Shared

/// `POST /api/videos` and the video routes against a live service (no Workers: the jobs stay queued).
@Suite struct VideosTests {
    @Test func anUploadIsAcceptedAtOnceWithItsJobsQueuedAndTheFileInPlace() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let file = ContentServer.fakeMP4(size: 300_000)
            let reply = try await server.upload(title: "  내 영상  ", file: file, as: owner)
            #expect(reply.status == 202, "\(reply.body)")
            #expect(reply["status"] == "processing")
            let id = try #require(reply["id"])
            #expect(reply.header("Location") == "/api/videos/\(id)")
            // The file is stored under a name made from the id, whatever the client called it.
            #expect(server.mediaFiles() == ["originals/\(id).mp4"])
            #expect(try Data(contentsOf: server.media.url("originals/\(id).mp4")) == Data(file))
            #expect(try await server.jobKinds() == [ThumbnailJob.kind, TranscodeJob.kind, AuditEvent.kind])

            // Processing: shown to its owner only.
            #expect(try await server.call(.GET, "/api/videos/\(id)").status == 404)
            let shown = try await server.call(.GET, "/api/videos/\(id)", as: owner)
            #expect(shown.status == 200)
            #expect(shown["title"] == "내 영상" && shown["ownerId"] == owner.id && shown["status"] == "processing")
            #expect((shown.json["sizeBytes"] as? Int) == file.count)
            #expect(shown.json["thumbnailUrl"] == nil && shown.json["playbackUrl"] == nil)

            let list = try await server.call(.GET, "/api/videos?ownerId=\(owner.id)", as: owner)
            #expect((list.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
        }
    }

    @Test func whatIsNotAnAcceptedVideoIsRefusedAndLeavesNothing() async throws {
        try await ContentServer.run(["CONTENT_MAX_UPLOAD_BYTES": "100000"]) { server in
            let user = try await server.caller()
            let text = Array(String(repeating: "not a video at all\n", count: 100).utf8)
            let cases: [(reply: HTTPReply, status: Int, code: String)] = [
                (try await server.upload(file: text, as: user), 415, "unsupported_media_type"),
                (try await server.upload(title: nil, as: user), 422, "invalid_title"),
                (try await server.upload(title: "no file", file: nil, as: user), 422, "missing_file"),
                (try await server.upload(file: ContentServer.fakeMP4(size: 200_000), as: user), 413, "payload_too_large"),
                (try await server.upload(as: nil), 401, "unauthorized"),
                (try await server.call(.POST, "/api/videos", rawJSON: "{}", as: user), 415, "unsupported_media_type"),
                (try await server.call(.POST, "/api/videos", bytes: ByteBuffer(string: "--x\r\nbroken"),
                                       headers: ["Content-Type": "multipart/form-data; boundary=x"], as: user), 400, "incomplete_body"),
            ]
            for (index, entry) in cases.enumerated() {
                #expect(entry.reply.status == entry.status && entry.reply.errorCode == entry.code, "case \(index): \(entry.reply.body)")
            }
            #expect(server.mediaFiles().isEmpty)
            let rows = try await server.withDatabase { db in try await db.query("SELECT count(*) FROM content.videos", logger: TestEnvironment.logger)[0].decode(Int.self) }
            #expect(rows == 0)
        }
    }

    @Test func aChunkedUploadOverTheLimitIsCutOffWithoutAFile() async throws {
        try await ContentServer.run(["CONTENT_MAX_UPLOAD_BYTES": "100000"]) { server in
            let user = try await server.caller()
            let body = ContentServer.multipart(title: "big", file: ContentServer.fakeMP4(size: 300_000))
            // No Content-Length: the service counts as the bytes arrive.
            let reply = try await RawHTTP.send(port: server.port, head: """
                POST /api/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(user.token)\r\n\
                Content-Type: multipart/form-data; boundary=\(ContentServer.boundary)\r\nTransfer-Encoding: chunked\r\n\r\n
                """, chunks: [Array(body.readableBytesView)])
            #expect(reply.hasPrefix("HTTP/1.1 413"), "\(reply.prefix(200))")
            #expect(server.mediaFiles().isEmpty)
        }
    }

    @Test func aClientThatHangsUpMidUploadLeavesNoFileAndNoRow() async throws {
        try await ContentServer.run { server in
            let user = try await server.caller()
            let body = Array(ContentServer.multipart(title: "cut", file: ContentServer.fakeMP4(size: 2_000_000)).readableBytesView)
            try await RawHTTP.hangUp(port: server.port, head: """
                POST /api/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(user.token)\r\n\
                Content-Type: multipart/form-data; boundary=\(ContentServer.boundary)\r\nContent-Length: \(body.count)\r\n\r\n
                """, body: Array(body.prefix(body.count / 2)))
            // The service notices the closed connection and drops the file it was writing.
            let clean = try await server.eventually {
                let rows = try await server.withDatabase { db in try await db.query("SELECT count(*) FROM content.videos", logger: TestEnvironment.logger)[0].decode(Int.self) }
                return rows == 0 && server.mediaFiles().isEmpty
            }
            #expect(clean)
            // And it still serves.
            #expect(try await server.upload(as: user).status == 202)
        }
    }

    @Test func deletingAVideoRemovesItsFilesAndPlaylistItems() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let other = try await server.caller()
            let admin = try await server.caller(role: .admin)
            let id = try await server.video(as: owner)
            let uuid = try #require(UUID(uuidString: id))
            // What the Workers would have made.
            for path in [MediaLayout.thumbnail(uuid), MediaLayout.rendition(uuid), MediaLayout.partial(MediaLayout.rendition(uuid))] {
                try Data([1, 2, 3]).write(to: server.media.url(path))
            }
            let playlist = try #require(try await server.call(.POST, "/api/playlists", json: ["title": "mix", "visibility": "public"], as: other)["id"])
            #expect(try await server.call(.POST, "/api/playlists/\(playlist)/items", json: ["videoId": id], as: other).status == 201)

            #expect(try await server.call(.DELETE, "/api/videos/\(id)", as: other).status == 403)
            #expect(try await server.call(.DELETE, "/api/videos/\(id)").status == 401)
            #expect(try await server.call(.DELETE, "/api/videos/\(id)", as: owner).status == 204)
            #expect(server.mediaFiles().isEmpty)
            #expect(try await server.call(.GET, "/api/videos/\(id)").status == 404)
            #expect(try await server.call(.DELETE, "/api/videos/\(id)", as: owner).status == 404)
            let shown = try await server.call(.GET, "/api/playlists/\(playlist)")
            #expect((shown.json["items"] as? [Any])?.isEmpty == true && (shown.json["itemCount"] as? Int) == 0)
            #expect(try await server.auditActions().contains("video.deleted"))

            // An administrator may delete anyone's.
            let second = try await server.video(as: owner)
            #expect(try await server.call(.DELETE, "/api/videos/\(second)", as: admin).status == 204)
        }
    }

    @Test func playsAreCountedWithoutTouchingTheVideoRowEachTime() async throws {
        try await ContentServer.run(["CONTENT_PLAY_FOLD_MS": "50"]) { server in
            let owner = try await server.caller()
            let id = try await server.video(as: owner)
            // Thirty viewers at once (one play each counts: `PlayCounter`).
            var viewers: [ContentServer.Caller] = []
            for _ in 0..<30 { viewers.append(try await server.caller()) }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for viewer in viewers {
                    group.addTask { try await server.call(.POST, "/api/videos/\(id)/plays", as: viewer).status }
                }
                for try await status in group { #expect(status == 204) }
            }
            // Exact at once (pending plays included), and folded into the row soon after.
            #expect((try await server.call(.GET, "/api/videos/\(id)").json["plays"] as? Int) == 30)
            let folded = try await server.eventually {
                try await server.withDatabase { db in
                    try await db.query("SELECT play_count FROM content.videos WHERE id = \(UUID(uuidString: id)!)", logger: TestEnvironment.logger)[0].decode(Int64.self)
                } == 30
            }
            #expect(folded)
            #expect(try await server.call(.POST, "/api/videos/\(UUID())/plays").status == 404)
            #expect(try await server.call(.POST, "/api/videos/not-an-id/plays").status == 404)
            let played = try await server.eventually { try await server.auditActions().filter { $0 == "video.played" }.count == 30 }
            #expect(played)
        }
    }

    /// The owner edits title, description and visibility; unlisted videos are watched by id but
    /// not listed, private ones are the owner's alone and their plays do not count; the listing
    /// sorts by plays too.
    @Test func ownersEditVideosAndVisibilityDecidesWhoFindsThem() async throws {
        try await ContentServer.run(["CONTENT_PLAY_FOLD_MS": "50"]) { server in
            let owner = try await server.caller()
            let viewer = try await server.caller()
            let (popular, unlisted, secret) = (try await server.video(as: owner), try await server.video(as: owner), try await server.video(as: owner))
            let edited = try await server.call(.PATCH, "/api/videos/\(popular)", json: ["title": "인기 영상", "description": "설명\n둘째 줄"], as: owner)
            #expect(edited.status == 200 && edited["title"] == "인기 영상" && edited["description"] == "설명\n둘째 줄" && edited["visibility"] == "public")
            #expect(try await server.call(.PATCH, "/api/videos/\(unlisted)", json: ["visibility": "unlisted"], as: owner).status == 200)
            #expect(try await server.call(.PATCH, "/api/videos/\(secret)", json: ["visibility": "private"], as: owner).status == 200)
            for (body, code) in [([String: Any](), "empty_update"), (["visibility": "hidden"], "invalid_visibility"), (["title": ""], "invalid_title"),
                                 (["description": String(repeating: "d", count: 2001)], "invalid_description")] {
                let reply = try await server.call(.PATCH, "/api/videos/\(popular)", json: body, as: owner)
                #expect(reply.status == 422 && reply.errorCode == code, "\(body)")
            }
            #expect(try await server.call(.PATCH, "/api/videos/\(popular)", json: ["title": "mine now"], as: viewer).status == 403)

            #expect(try await server.call(.GET, "/api/videos/\(unlisted)", as: viewer).status == 200)
            #expect(try await server.call(.GET, "/api/videos/\(secret)", as: viewer).status == 404)
            #expect(try await server.videoIDs("/api/videos", as: viewer) == [popular])
            #expect(try await server.videoIDs("/api/videos?ownerId=\(owner.id)", as: viewer) == [popular])
            #expect(try await server.videoIDs("/api/videos?ownerId=me", as: owner) == [secret, unlisted, popular])

            // Plays: the owner's own private video answers but does not count.
            #expect(try await server.call(.POST, "/api/videos/\(secret)/plays", as: owner).status == 204)
            #expect(try await server.call(.POST, "/api/videos/\(secret)/plays", as: viewer).status == 404)
            for caller in [viewer, try await server.caller()] {
                #expect(try await server.call(.POST, "/api/videos/\(unlisted)/plays", as: caller).status == 204)
            }
            #expect(try await server.call(.POST, "/api/videos/\(popular)/plays", as: viewer).status == 204)
            #expect((try await server.call(.GET, "/api/videos/\(secret)", as: owner).json["plays"] as? Int) == 0)
            // Most played first, by the folded counts.
            let folded = try await server.eventually {
                try await server.videoIDs("/api/videos?ownerId=me&sort=plays", as: owner) == [unlisted, popular, secret]
            }
            #expect(folded)
            #expect(try await server.call(.GET, "/api/videos?sort=views").status == 422)
            #expect(try await server.auditActions().filter { $0 == "video.updated" }.count == 3)
        }
    }
}
