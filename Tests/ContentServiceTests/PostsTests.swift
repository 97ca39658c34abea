import Foundation
import Testing
import TestSupport
@testable import ContentService

@Suite struct PostsTests {
    @Test func createReadAndTheAuditTrail() async throws {
        try await ContentServer.run { server in
            let author = try await server.caller()
            let created = try await server.call(.POST, "/api/posts", json: [
                "title": "  첫 글  ", "body": "본문입니다.\n둘째 줄", "tags": ["#Swift", "swift", "서버"],
            ], as: author)
            #expect(created.status == 201)
            let id = try #require((created.json["id"] as? NSNumber)?.int64Value)
            #expect(created.header("Location") == "/api/posts/\(id)")
            #expect(created["title"] == "첫 글")
            #expect(created.json["tags"] as? [String] == ["swift", "서버"])
            #expect(created["authorId"] == author.id)

            let shown = try await server.call(.GET, "/api/posts/\(id)")
            #expect(shown.status == 200)
            #expect(shown["body"] == "본문입니다.\n둘째 줄")
            #expect(shown["excerpt"] == "본문입니다. 둘째 줄")
            #expect((shown.json["likeCount"] as? Int) == 0)
            #expect(try await server.call(.GET, "/api/posts/999999").status == 404)
            #expect(try await server.call(.GET, "/api/posts/abc").status == 404)
            #expect(try await server.auditActions().contains("post.created"))
        }
    }

    @Test func writesNeedACallerAndValidFields() async throws {
        try await ContentServer.run { server in
            let author = try await server.caller()
            #expect(try await server.call(.POST, "/api/posts", json: ["title": "x"]).status == 401)
            let cases: [([String: Any], String)] = [
                (["title": ""], "invalid_title"),
                (["title": String(repeating: "t", count: 201)], "invalid_title"),
                (["title": "ok", "body": String(repeating: "b", count: 20_001)], "invalid_body"),
                (["title": "ok", "tags": (0..<11).map { "t\($0)" }], "too_many_tags"),
                (["title": "ok", "tags": [String(repeating: "x", count: 31)]], "invalid_tag"),
            ]
            for (body, code) in cases {
                let reply = try await server.call(.POST, "/api/posts", json: body, as: author)
                #expect(reply.status == 422)
                #expect(reply.errorCode == code)
            }
            // A field of the wrong kind or missing is named in plain words; a body that is not JSON is a 400.
            let mistyped = try await server.call(.POST, "/api/posts", rawJSON: "{\"title\": 5}", as: author)
            #expect(mistyped.status == 422 && mistyped.errorCode == "invalid_field")
            #expect((mistyped.json["error"] as? [String: Any])?["message"] as? String == "title must be text")
            let wrongTags = try await server.call(.POST, "/api/posts", rawJSON: #"{"title": "t", "tags": "swift"}"#, as: author)
            #expect((wrongTags.json["error"] as? [String: Any])?["message"] as? String == "tags must be a list")
            let wrongTag = try await server.call(.POST, "/api/posts", rawJSON: #"{"title": "t", "tags": ["a", 7]}"#, as: author)
            #expect((wrongTag.json["error"] as? [String: Any])?["message"] as? String == "tags[1] must be text")
            let missing = try await server.call(.POST, "/api/posts", rawJSON: #"{"body": "no title"}"#, as: author)
            #expect(missing.status == 422 && missing.errorCode == "missing_field")
            #expect((missing.json["error"] as? [String: Any])?["message"] as? String == "title is required")
            let notJSON = try await server.call(.POST, "/api/posts", rawJSON: "not json", as: author)
            #expect(notJSON.status == 400 && notJSON.errorCode == "malformed_json")
            #expect(try await server.call(.GET, "/api/posts?page=1").status == 200)
        }
    }

    @Test func onlyTheAuthorOrAnAdministratorChangesAPost() async throws {
        try await ContentServer.run { server in
            let author = try await server.caller()
            let other = try await server.caller()
            let admin = try await server.caller(role: .admin)
            let id = try await server.post("원래 제목", body: "내용", tags: ["a"], as: author)

            #expect(try await server.call(.PATCH, "/api/posts/\(id)", json: ["title": "x"]).status == 401)
            let refused = try await server.call(.PATCH, "/api/posts/\(id)", json: ["title": "x"], as: other)
            #expect(refused.status == 403)
            #expect(try await server.call(.PATCH, "/api/posts/\(id)", json: [:], as: author).errorCode == "empty_update")

            let edited = try await server.call(.PATCH, "/api/posts/\(id)", json: ["title": "새 제목", "tags": ["b", "c"]], as: author)
            #expect(edited.status == 200)
            #expect(edited["title"] == "새 제목")
            #expect(edited["body"] == "내용")
            #expect(edited.json["tags"] as? [String] == ["b", "c"])
            #expect(try await server.page("/api/posts?tag=a").ids.isEmpty)
            #expect(try await server.page("/api/posts?tag=c").ids == [id])
            #expect(try await server.call(.PATCH, "/api/posts/\(id)", json: ["body": "관리자 수정"], as: admin).status == 200)

            #expect(try await server.call(.DELETE, "/api/posts/\(id)", as: other).status == 403)
            #expect(try await server.call(.DELETE, "/api/posts/\(id)").status == 401)
            #expect(try await server.call(.DELETE, "/api/posts/\(id)", as: author).status == 204)
            #expect(try await server.call(.GET, "/api/posts/\(id)").status == 404)
            #expect(try await server.call(.DELETE, "/api/posts/\(id)", as: author).status == 404)
            let second = try await server.post("둘째", as: author)
            #expect(try await server.call(.DELETE, "/api/posts/\(second)", as: admin).status == 204)
            let actions = try await server.auditActions()
            #expect(actions.filter { $0 == "post.updated" }.count == 2)
            #expect(actions.filter { $0 == "post.deleted" }.count == 2)
        }
    }
}

@Suite struct LikesTests {
    @Test func likesAreIdempotentAndCountedExactly() async throws {
        try await ContentServer.run { server in
            let author = try await server.caller()
            let id = try await server.post("인기 글", as: author)
            let fan = try await server.caller()
            #expect(try await server.call(.POST, "/api/posts/\(id)/like").status == 401)
            #expect(try await server.call(.POST, "/api/posts/\(id)/like", as: fan).status == 204)
            #expect(try await server.call(.POST, "/api/posts/\(id)/like", as: fan).status == 204)
            #expect(try await server.call(.GET, "/api/posts/\(id)").json["likeCount"] as? Int == 1)
            #expect(try await server.call(.DELETE, "/api/posts/\(id)/like", as: fan).status == 204)
            #expect(try await server.call(.DELETE, "/api/posts/\(id)/like", as: fan).status == 204)
            #expect(try await server.call(.GET, "/api/posts/\(id)").json["likeCount"] as? Int == 0)
            #expect(try await server.call(.POST, "/api/posts/424242/like", as: fan).status == 404)
            let actions = try await server.auditActions()
            #expect(actions.filter { $0 == "post.liked" }.count == 1)
            #expect(actions.filter { $0 == "post.unliked" }.count == 1)
        }
    }

    /// `likedByMe` says what the caller likes, on the post, on cached first pages (which are
    /// shared by everyone) and in search; anonymous callers get no such field. `/me/likes` lists
    /// them, newest like first, by cursor.
    @Test func aSignedInCallerSeesWhatTheyLike() async throws {
        try await ContentServer.run { server in
            let author = try await server.caller()
            let fan = try await server.caller()
            let stranger = try await server.caller()
            var ids: [Int64] = []
            for index in 0..<3 { ids.append(try await server.post("좋아요 표시 \(index)", tags: ["marks"], as: author)) }
            for id in [ids[0], ids[2]] { #expect(try await server.call(.POST, "/api/posts/\(id)/like", as: fan).status == 204) }
            func marks(_ path: String, as caller: ContentServer.Caller?) async throws -> [Int64: Bool?] {
                let reply = try await server.call(.GET, path, as: caller)
                #expect(reply.status == 200, "\(path)")
                var found: [Int64: Bool?] = [:]
                for item in reply.json["items"] as? [[String: Any]] ?? [] {
                    if let id = (item["id"] as? NSNumber)?.int64Value { found[id] = item["likedByMe"] as? Bool }
                }
                return found
            }
            for path in ["/api/posts?tag=marks", "/api/search?keyword=좋아요"] {
                // Twice each: the second answer comes from the page cache.
                for _ in 0..<2 {
                    #expect(try await marks(path, as: fan) == [ids[0]: true, ids[1]: false, ids[2]: true], "\(path)")
                    #expect(try await marks(path, as: stranger) == [ids[0]: false, ids[1]: false, ids[2]: false], "\(path)")
                    #expect(try await marks(path, as: nil) == [ids[0]: nil, ids[1]: nil, ids[2]: nil], "\(path)")
                }
            }
            #expect(try await server.call(.GET, "/api/posts/\(ids[0])", as: fan).json["likedByMe"] as? Bool == true)
            #expect(try await server.call(.GET, "/api/posts/\(ids[1])", as: fan).json["likedByMe"] as? Bool == false)
            #expect(try await server.call(.GET, "/api/posts/\(ids[0])").json["likedByMe"] == nil)

            #expect(try await server.call(.GET, "/api/users/me/likes").status == 401)
            let first = try await server.call(.GET, "/api/users/me/likes?size=1", as: fan)
            #expect(try await marks("/api/users/me/likes?size=1", as: fan) == [ids[2]: true], "the newest like first")
            let cursor = try #require(first.json["nextCursor"] as? String)
            let second = try await server.call(.GET, "/api/users/me/likes?size=1&cursor=\(cursor)", as: fan)
            #expect(try await marks("/api/users/me/likes?size=1&cursor=\(cursor)", as: fan) == [ids[0]: true])
            #expect(second.json["nextCursor"] is NSNull, "no empty page after the last like")
            // Another caller's cursor continues nothing of theirs.
            #expect(try await server.call(.GET, "/api/users/me/likes?size=1&cursor=\(cursor)", as: stranger).status == 400)
            #expect(try await marks("/api/users/me/likes", as: stranger).isEmpty)
        }
    }

    @Test func concurrentLikesOfOnePostAreAllCounted() async throws {
        // No page cache: the listing must show the fold itself, not a page cached before it.
        try await ContentServer.run(["CONTENT_CACHE_TTL_MS": "0"]) { server in
            let author = try await server.caller()
            let id = try await server.post("몰리는 글", tags: ["hot"], as: author)
            let fans = try await withThrowingTaskGroup(of: ContentServer.Caller.self) { group in
                for _ in 0..<60 { group.addTask { try await server.caller() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for fan in fans {
                    group.addTask { try await server.call(.POST, "/api/posts/\(id)/like", as: fan).status }
                    group.addTask { try await server.call(.POST, "/api/posts/\(id)/like", as: fan).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 204 })
            // Exact at once, folded or not.
            #expect(try await server.call(.GET, "/api/posts/\(id)").json["likeCount"] as? Int == 60)
            // And folded into the listings' copy soon after.
            let folded = try await server.eventually {
                let items = try await server.call(.GET, "/api/posts?sort=likes&tag=hot&size=1", as: author).json["items"] as? [[String: Any]]
                let pending = try await server.withDatabase { db in
                    try await db.query("SELECT count(*) FROM content.like_deltas", logger: TestEnvironment.logger)[0].decode(Int.self)
                }
                return items?.first?["likeCount"] as? Int == 60 && pending == 0
            }
            #expect(folded)
        }
    }
}
