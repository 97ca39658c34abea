import Foundation
import Shared
import Testing
import TestSupport
@testable import ContentService

@Suite struct VisibilityTests {
    @Test func nicknamesArriveFromAuthAndABanHidesEverything() async throws {
        try await ContentServer.run(["CONTENT_CACHE_TTL_MS": "0"]) { server in
            let author = try await server.caller()
            let admin = try await server.caller(role: .admin)
            let id = try await server.post("금지될 글", body: "검색어", tags: ["ban"], as: author)
            #expect(try await server.call(.GET, "/api/posts/\(id)").json["authorNickname"] == nil)

            try await server.authorChanged(UserChange(userID: author.id.uppercased(), nickname: "작가", banned: false, version: 10))
            #expect(try await server.eventually { try await server.call(.GET, "/api/posts/\(id)")["authorNickname"] == "작가" })

            try await server.authorChanged(UserChange(userID: author.id, nickname: "작가", banned: true, version: 20))
            #expect(try await server.eventually { try await server.call(.GET, "/api/posts/\(id)").status == 404 })
            for path in ["/api/posts", "/api/posts?tag=ban", "/api/posts?authorId=\(author.id)", "/api/posts?sort=likes",
                         "/api/search?keyword=\(escaped("검색"))"] {
                #expect(try await server.page(path).ids.isEmpty, "\(path)")
            }
            #expect(try await server.call(.GET, "/api/posts/\(id)", as: admin).status == 200)
            #expect(try await server.call(.POST, "/api/posts/\(id)/like", as: try await server.caller()).status == 404)

            // An older message arriving late changes nothing.
            try await server.authorChanged(UserChange(userID: author.id, nickname: "옛이름", banned: false, version: 15))
            try await server.authorChanged(UserChange(userID: author.id, nickname: "새이름", banned: false, version: 30))
            #expect(try await server.eventually { try await server.call(.GET, "/api/posts/\(id)")["authorNickname"] == "새이름" })
            #expect(try await server.page("/api/posts?tag=ban").ids == [id])
            #expect(try await server.page("/api/search?keyword=\(escaped("검색"))").ids == [id])
            #expect(try await server.withDatabase { db in
                try await db.query("SELECT count(*) FROM queue.jobs WHERE queue = 'content.authors'", logger: TestEnvironment.logger)[0].decode(Int.self)
            } == 0)
        }
    }
}

@Suite struct PageCacheTests {
    @Test func firstPagesComeFromTheCacheUntilAPostChanges() async throws {
        try await ContentServer.run(["CONTENT_CACHE_TTL_MS": "60000"]) { server in
            let author = try await server.caller()
            let first = try await server.post("첫째", body: "캐시", as: author)
            #expect(try await server.page("/api/posts").ids == [first])
            #expect(try await server.page("/api/search?keyword=\(escaped("캐시"))").ids == [first])

            // A row written behind the service's back stays unseen: the pages are cached.
            _ = try await server.withDatabase { db in
                try await db.query("""
                    INSERT INTO content.posts (author_id, title, body, excerpt, search, search_version)
                    VALUES (\(author.id)::uuid, 'hidden', '캐시', '캐시', '''캐시'':1B'::tsvector, 1)
                    """, logger: TestEnvironment.logger)
            }
            #expect(try await server.page("/api/posts").ids == [first])
            #expect(try await server.page("/api/search?keyword=\(escaped("캐시"))").ids == [first])
            // Second pages are never cached.
            #expect(try await server.page("/api/posts?size=1&page=2").ids.count == 1)

            // A post made through the service shows at once, and so does a deletion.
            let second = try await server.post("둘째", body: "캐시", as: author)
            let ids = try await server.page("/api/posts").ids
            #expect(ids.count == 3 && ids.first == second)
            #expect(try await server.page("/api/search?keyword=\(escaped("캐시"))").ids.count == 3)
            try await server.call(.DELETE, "/api/posts/\(second)", as: author)
            #expect(!(try await server.page("/api/posts").ids.contains(second)))
        }
    }

    @Test func withRedisDownTheDatabaseAnswers() async throws {
        try await ContentServer.run(["REDIS_URL": "redis://127.0.0.1:1", "REDIS_TIMEOUT_MS": "200"], readiness: false) { server in
            let posts = try await server.call(.GET, "/api/posts")
            let search = try await server.call(.GET, "/api/search?keyword=x")
            #expect(posts.status == 200)
            #expect(search.status == 200)
        }
    }
}
