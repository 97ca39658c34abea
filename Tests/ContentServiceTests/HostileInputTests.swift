import Foundation
import NIOCore
import Testing
import TestSupport
@testable import ContentService
@testable import Shared

/// What an attacker or an unusual but honest client sends, through the HTTP layer: numbers at the
/// edge of `Int`, text as other systems type it, and uploads meant to fill the disk.
@Suite struct HostileInputTests {
    /// One GET with a page number just short of `Int.max / size` once ended the process: every
    /// offset listing answers 422 and the service stays up.
    @Test func pageNumbersNearIntMaxAreRefusedNotFatal() async throws {
        try await ContentServer.run(["CONTENT_CACHE_TTL_MS": "0"]) { server in
            let user = try await server.caller()
            // Known to the service, so its playlist listing reaches the paging.
            #expect(try await server.call(.POST, "/api/playlists", json: ["title": "t"], as: user).status == 201)
            for page in ["92233720368547759", "92233720368547758", String(Int.max), "9223372036854775808", String(Int.min)] {
                for path in ["/api/videos", "/api/posts", "/api/search?keyword=x&sort=latest", "/api/search?keyword=x&sort=relevance",
                             "/api/users/\(user.id)/playlists"] {
                    let separator = path.contains("?") ? "&" : "?"
                    let reply = try await server.call(.GET, "\(path)\(separator)page=\(page)&size=100")
                    #expect(reply.status == 422, "\(path) page=\(page): \(reply.status) \(reply.body)")
                    #expect(["page_too_deep", "invalid_page"].contains(reply.errorCode ?? ""), "\(path) page=\(page)")
                }
            }
            #expect(try await server.call(.GET, "/healthz").status == 200)
        }
    }

    /// Text counts as the database counts it (code points, after NFC), whatever the client's
    /// system sends: decomposed Hangul, family emoji, combining floods.
    @Test func textIsMeasuredAsTheDatabaseMeasuresIt() async throws {
        try await ContentServer.run(["CONTENT_CACHE_TTL_MS": "0"]) { server in
            let author = try await server.caller()
            // 199 syllables typed on a system that sends NFD: 597 code points as sent, 199 stored.
            let nfdTitle = String(repeating: "한", count: 199).decomposedStringWithCanonicalMapping
            #expect(nfdTitle.unicodeScalars.count == 597)
            let created = try await server.call(.POST, "/api/posts", json: ["title": nfdTitle, "body": "본문"], as: author)
            #expect(created.status == 201, "\(created.body)")
            #expect((created["title"]).map { $0.unicodeScalars.count } == 199)
            // A body that opens with 130 family emoji (7 code points each): the excerpt fits its column.
            let family = "👨‍👩‍👧‍👦"
            let emoji = try await server.call(.POST, "/api/posts", json: ["title": "가족", "body": String(repeating: family, count: 130)], as: author)
            #expect(emoji.status == 201, "\(emoji.body)")
            let listed = try await server.call(.GET, "/api/posts?authorId=\(author.id)")
            for item in listed.json["items"] as? [[String: Any]] ?? [] {
                let excerpt = try #require(item["excerpt"] as? String)
                #expect(excerpt.unicodeScalars.count <= 200)
                #expect(!excerpt.unicodeScalars.contains { $0 == "\u{200D}" } || excerpt.contains(family), "no emoji cut in half")
            }
            // 201 syllables is one too many however they are sent; the message names the field.
            for title in [String(repeating: "한", count: 201), String(repeating: "한", count: 201).decomposedStringWithCanonicalMapping] {
                let reply = try await server.call(.POST, "/api/posts", json: ["title": title], as: author)
                #expect(reply.status == 422 && reply.errorCode == "invalid_title")
                #expect(((reply.json["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("title must be at most 200") == true)
            }
            // A title of one "character" holding 300 combining marks is 301 code points.
            let flood = "a" + String(repeating: "\u{301}", count: 300)
            #expect(try await server.call(.POST, "/api/posts", json: ["title": flood], as: author).errorCode == "invalid_title")
            // Control characters are refused by name; a line break in a title too.
            for bad in ["a\u{0}b", "a\u{7}b", "line\nbreak", "a\u{85}b"] {
                let reply = try await server.call(.POST, "/api/posts", json: ["title": bad], as: author)
                #expect(reply.status == 422 && reply.errorCode == "invalid_title", "\(bad.unicodeScalars.map(\.value))")
            }
        }
    }

    /// A video still processing, or failed, is its owner's business; anyone else gets a 404 and
    /// does not see it listed.
    @Test func processingAndFailedVideosAreTheirOwnersOnly() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let stranger = try await server.caller()
            let processing = try await server.video(as: owner, ready: false)
            let ready = try await server.video(as: owner)
            for viewer in [nil, stranger] {
                #expect(try await server.call(.GET, "/api/videos/\(processing)", as: viewer).status == 404)
                #expect(try await server.call(.GET, "/api/videos/\(ready)", as: viewer).status == 200)
                for path in ["/api/videos", "/api/videos?ownerId=\(owner.id)"] {
                    #expect(try await server.videoIDs(path, as: viewer) == [ready], "\(path)")
                }
            }
            #expect(try await server.call(.GET, "/api/videos/\(processing)", as: owner).status == 200)
            #expect(try await server.videoIDs("/api/videos?ownerId=\(owner.id)", as: owner) == [ready, processing])
            // Nobody plays what they cannot see.
            #expect(try await server.call(.POST, "/api/videos/\(processing)/plays").status == 404)
        }
    }

    /// The video listing pages by keyset cursor, newest first, with no empty page at the end,
    /// and a cursor of the owner's listing (which shows more) does not continue anyone else's.
    @Test func videoListingsPageByCursor() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            var made: [String] = []
            for index in 0..<5 { made.append(try await server.video(as: owner, ready: index != 2)) }
            func page(_ query: String, as caller: ContentServer.Caller?) async throws -> (ids: [String], next: String?) {
                let reply = try await server.call(.GET, "/api/videos?ownerId=\(owner.id)&size=2" + query, as: caller)
                #expect(reply.status == 200)
                return ((reply.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? [], reply.json["nextCursor"] as? String)
            }
            var seen: [[String]] = []
            var next: String? = ""
            while let cursor = next {
                let (ids, following) = try await page(cursor.isEmpty ? "" : "&cursor=\(cursor)", as: nil)
                seen.append(ids)
                next = following
            }
            #expect(seen == [[made[4], made[3]], [made[1], made[0]]], "the processing one is the owner's only")
            let ownersCursor = try #require(try await page("", as: owner).next)
            #expect(try await server.call(.GET, "/api/videos?ownerId=\(owner.id)&size=2&cursor=\(ownersCursor)").status == 400)
            #expect(try await page("&cursor=\(ownersCursor)", as: owner).ids == [made[2], made[1]])
            #expect(try await server.videoIDs("/api/videos?ownerId=me", as: owner) == made.reversed(), "me is the caller")
            #expect(try await server.call(.GET, "/api/videos?ownerId=me").status == 401)
            #expect(try await server.call(.GET, "/api/videos?page=2").status == 422)
        }
    }

    /// A ban hides everything the user published: posts (elsewhere), videos and playlists, and
    /// their videos inside other people's playlists; unbanning restores it.
    @Test func aBanHidesVideosAndPlaylistsAndUnbanRestores() async throws {
        try await ContentServer.run { server in
            let banned = try await server.caller()
            let other = try await server.caller()
            let video = try await server.video(as: banned)
            let own = try await server.call(.POST, "/api/playlists", json: ["title": "mine", "visibility": "public"], as: banned)
            let ownID = try #require(own["id"])
            let theirs = try await server.call(.POST, "/api/playlists", json: ["title": "theirs", "visibility": "public"], as: other)
            let theirsID = try #require(theirs["id"])
            #expect(try await server.call(.POST, "/api/playlists/\(theirsID)/items", json: ["videoId": video], as: other).status == 201)

            try await server.authorChanged(UserChange(userID: banned.id, nickname: "n", banned: true, version: 1))
            #expect(try await server.eventually { try await server.call(.GET, "/api/videos/\(video)").status == 404 })
            #expect(try await server.videoIDs("/api/videos").isEmpty)
            #expect(try await server.videoIDs("/api/videos?ownerId=\(banned.id)").isEmpty)
            #expect(try await server.call(.GET, "/api/playlists/\(ownID)").status == 404)
            #expect(try await server.call(.GET, "/api/playlists/\(ownID)", as: other).status == 404)
            let listed = try await server.call(.GET, "/api/users/\(banned.id)/playlists")
            #expect((listed.json["items"] as? [Any])?.isEmpty == true)
            let shown = try await server.call(.GET, "/api/playlists/\(theirsID)")
            #expect((shown.json["items"] as? [Any])?.isEmpty == true)
            #expect(try await server.call(.POST, "/api/videos/\(video)/plays").status == 404)

            try await server.authorChanged(UserChange(userID: banned.id, nickname: "n", banned: false, version: 2))
            #expect(try await server.eventually { try await server.call(.GET, "/api/videos/\(video)").status == 200 })
            #expect(try await server.videoIDs("/api/videos") == [video])
            #expect(try await server.call(.GET, "/api/playlists/\(ownID)").status == 200)
            #expect((try await server.call(.GET, "/api/playlists/\(theirsID)").json["items"] as? [Any])?.count == 1)
        }
    }

    /// A loop of anonymous POSTs counts one play per viewer per video per window; another viewer
    /// (a user, another network) counts again.
    @Test func playsCountOncePerViewerPerWindow() async throws {
        try await ContentServer.run(["CONTENT_PLAY_FOLD_MS": "50"]) { server in
            let owner = try await server.caller()
            let video = try await server.video(as: owner)
            for _ in 0..<20 { #expect(try await server.call(.POST, "/api/videos/\(video)/plays").status == 204) }
            for _ in 0..<3 { #expect(try await server.call(.POST, "/api/videos/\(video)/plays", as: owner).status == 204) }
            #expect(try await server.eventually {
                (try await server.call(.GET, "/api/videos/\(video)").json["plays"] as? Int) == 2
            })
            #expect(try await server.call(.POST, "/api/videos/\(UUID())/plays").status == 404)
        }
    }

    /// An account cannot fill the disk: open uploads, bytes in flight and bytes a day are
    /// limited, each refused with its own code before anything is written.
    @Test func uploadsArePerAccountLimited() async throws {
        try await ContentServer.run([
            "CONTENT_UPLOADS_OPEN_PER_USER": "2", "CONTENT_UPLOAD_BYTES_IN_FLIGHT_PER_USER": "3000000",
            "CONTENT_UPLOAD_BYTES_PER_DAY_PER_USER": "5000000",
        ]) { server in
            let user = try await server.caller()
            func create(_ length: Int, as caller: ContentServer.Caller) async throws -> HTTPReply {
                try await server.call(.POST, "/api/videos/uploads",
                                      headers: ["Tus-Resumable": "1.0.0", "Upload-Length": String(length),
                                                "Upload-Metadata": "title \(Data("clip".utf8).base64EncodedString())"], as: caller)
            }
            #expect(try await create(1_000_000, as: user).status == 201)
            #expect(try await create(1_000_000, as: user).status == 201)
            let third = try await create(1_000, as: user)
            #expect(third.status == 429 && third.errorCode == "too_many_uploads" && third.header("Retry-After") != nil)
            // A one-request upload is an open upload while it streams, and counts the same way.
            let oneRequest = try await server.upload(file: ContentServer.fakeMP4(size: 1_000), as: user)
            #expect(oneRequest.status == 429 && oneRequest.errorCode == "too_many_uploads")
            // Another account is not affected.
            let other = try await server.caller()
            let big = try await create(2_500_000, as: other)
            #expect(big.status == 201)
            let over = try await create(600_000, as: other)
            #expect(over.status == 429 && over.errorCode == "upload_bytes_in_flight")
            // More than a day's bytes in one file can never fit.
            let huge = try await create(6_000_000, as: try await server.caller())
            #expect(huge.status == 413 && huge.errorCode == "payload_too_large")
            // A day's bytes count finished videos too.
            let busy = try await server.caller()
            for _ in 0..<2 { _ = try await server.video(as: busy) }  // 2 × 300 KB
            _ = try await server.withDatabase { db in
                try await db.query("UPDATE content.videos SET size_bytes = 2400000 WHERE owner_id = \(busy.id)", logger: TestEnvironment.logger)
            }
            let daily = try await create(500_000, as: busy)
            #expect(daily.status == 429 && daily.errorCode == "daily_upload_limit")
            let multipart = try await server.upload(file: ContentServer.fakeMP4(size: 300_000), as: busy)
            #expect(multipart.status == 429 && multipart.errorCode == "daily_upload_limit")
        }
    }

    /// A chunk that is no video is refused on its first bytes, not after the whole body is on
    /// disk: the 415 comes while the client has sent 64 KB of a 16 MB body.
    @Test func aResumableChunkThatIsNoVideoIsRefusedAtItsFirstBytes() async throws {
        try await ContentServer.run { server in
            let user = try await server.caller()
            let length = 16 << 20
            let created = try await server.call(.POST, "/api/videos/uploads",
                                                headers: ["Tus-Resumable": "1.0.0", "Upload-Length": String(length),
                                                          "Upload-Metadata": "title \(Data("page".utf8).base64EncodedString())"], as: user)
            let location = try #require(created.header("Location"))
            let html = Array(String(repeating: "<html><body>not a video</body></html>\n", count: 1700).utf8.prefix(64 << 10))
            let reply = try await RawHTTP.sendStart(port: server.port, head: """
                PATCH \(location) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(user.token)\r\nTus-Resumable: 1.0.0\r\n\
                Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: \(length)\r\n\r\n
                """, body: html)
            #expect(reply.hasPrefix("HTTP/1.1 415"), "\(reply.prefix(200))")
            #expect(try await server.call(.HEAD, location, headers: ["Tus-Resumable": "1.0.0"], as: user).status == 404)
            #expect(server.mediaFiles().isEmpty)
        }
    }

    /// A media volume short of space refuses new uploads with 507 and Retry-After, before any
    /// byte is written.
    @Test func aFullMediaVolumeRefusesUploadsWith507() async throws {
        try await ContentServer.run(["CONTENT_MEDIA_MIN_FREE_BYTES": String(Int64(1) << 60)]) { server in
            let user = try await server.caller()
            let tus = try await server.call(.POST, "/api/videos/uploads",
                                            headers: ["Tus-Resumable": "1.0.0", "Upload-Length": "1000",
                                                      "Upload-Metadata": "title \(Data("clip".utf8).base64EncodedString())"], as: user)
            #expect(tus.status == 507 && tus.errorCode == "insufficient_storage" && tus.header("Retry-After") != nil)
            let multipart = try await server.upload(file: ContentServer.fakeMP4(size: 1000), as: user)
            #expect(multipart.status == 507 && multipart.errorCode == "insufficient_storage")
            #expect(server.mediaFiles().isEmpty)
        }
    }
}

extension ContentServer {
    /// The ids of a video listing page.
    func videoIDs(_ path: String, as caller: Caller? = nil) async throws -> [String] {
        let reply = try await call(.GET, path, as: caller)
        return (reply.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }
}
