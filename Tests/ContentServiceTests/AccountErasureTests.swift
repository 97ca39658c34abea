import Foundation
import Shared
import Testing
import TestSupport
@testable import ContentService

/// A deleted account, as ContentService learns of it from AuthService (`AuthorErasure`).
@Suite struct AccountErasureTests {
    @Test func everythingTheUserMadeOrDidGoesAndLaterWritesAreRefused() async throws {
        try await ContentServer.run(["CONTENT_CACHE_TTL_MS": "0"]) { server in
            let leaving = try await server.caller(), staying = try await server.caller()
            let theirPost = try await server.post("떠나는 사람의 글", body: "지울말", tags: ["bye"], as: leaving)
            let otherPost = try await server.post("남는 사람의 글", body: "남을말", as: staying)
            #expect(try await server.call(.POST, "/api/posts/\(otherPost)/like", as: leaving).status == 204)
            #expect(try await server.call(.POST, "/api/posts/\(theirPost)/like", as: staying).status == 204)
            let theirVideo = try await server.video(as: leaving)
            let otherVideo = try await server.video(as: staying)
            let theirList = try #require(try await server.call(.POST, "/api/playlists", json: ["title": "mine", "visibility": "public"], as: leaving)["id"])
            let otherList = try #require(try await server.call(.POST, "/api/playlists", json: ["title": "theirs", "visibility": "public"], as: staying)["id"])
            for video in [theirVideo, otherVideo] {
                #expect(try await server.call(.POST, "/api/playlists/\(otherList)/items", json: ["videoId": video], as: staying).status == 201)
            }
            #expect(try await server.call(.POST, "/api/videos/\(theirVideo)/plays").status == 204)
            #expect(server.mediaFiles().contains { $0.contains(theirVideo) })

            try await server.authorChanged(.deletion(of: leaving.id))
            #expect(try await server.eventually { try await server.call(.GET, "/api/posts/\(theirPost)").status == 404 })
            #expect(try await server.call(.GET, "/api/posts/\(otherPost)").json["likeCount"] as? Int == 0)
            #expect(try await server.page("/api/search?keyword=\(escaped("지울말"))").ids.isEmpty)
            #expect(try await server.page("/api/posts?tag=bye").ids.isEmpty)
            #expect(try await server.call(.GET, "/api/playlists/\(theirList)").status == 404)
            #expect(try await server.call(.GET, "/api/videos/\(theirVideo)").status == 404)
            #expect(try await server.call(.GET, "/api/users/\(leaving.id)/playlists").status == 404)
            let items = try await server.call(.GET, "/api/playlists/\(otherList)").json["items"] as? [[String: Any]]
            #expect(items?.compactMap { ($0["video"] as? [String: Any])?["id"] as? String } == [otherVideo])
            #expect(!server.mediaFiles().contains { $0.contains(theirVideo) })
            #expect(server.mediaFiles().contains { $0.contains(otherVideo) })
            let left = try await server.withDatabase { db in
                try await db.query("""
                    SELECT (SELECT count(*) FROM content.likes WHERE user_id = \(leaving.id)::uuid)
                         + (SELECT count(*) FROM content.posts WHERE author_id = \(leaving.id)::uuid)
                         + (SELECT count(*) FROM content.playlists WHERE owner_id = \(leaving.id)::uuid)
                         + (SELECT count(*) FROM content.videos WHERE owner_id = \(leaving.id))
                         + (SELECT count(*) FROM content.authors WHERE id = \(leaving.id)::uuid AND (nickname IS NOT NULL OR NOT deleted))
                    """, logger: TestEnvironment.logger).first?.decode(Int.self)
            }
            #expect(left == 0)

            // The last access token, still alive somewhere, makes nothing that would outlive the account.
            let late = try await server.call(.POST, "/api/posts", json: ["title": "late", "body": "", "tags": []], as: leaving)
            #expect(late.status == 401 && late.errorCode == "account_deleted")
            #expect(try await server.call(.POST, "/api/playlists", json: ["title": "late"], as: leaving).errorCode == "account_deleted")
            #expect(try await server.call(.POST, "/api/posts/\(otherPost)/like", as: leaving).errorCode == "account_deleted")
            // A stray older message does not bring the author back.
            try await server.authorChanged(UserChange(userID: leaving.id, nickname: "ghost", banned: false, version: .max))
            #expect(try await server.eventually {
                try await server.withDatabase { db in
                    try await db.query("SELECT count(*) FROM queue.jobs WHERE queue = 'content.authors'", logger: TestEnvironment.logger)[0].decode(Int.self)
                } == 0
            })
            #expect(try await server.call(.POST, "/api/posts", json: ["title": "late", "body": "", "tags": []], as: leaving).status == 401)
        }
    }

    @Test func oldMessagesWithoutTheDeletedFieldStillDecode() throws {
        let old = #"{"userID":"u","nickname":"n","banned":true,"version":3}"#
        let change = try JSONDecoder().decode(UserChange.self, from: Data(old.utf8))
        #expect(change.deleted == false && change.banned)
    }
}
