import Foundation
import Testing
import TestSupport
@testable import ContentService

@Suite struct ListingTests {
    /// No page cache, so each listing reads what the test just wrote.
    static let uncached = ["CONTENT_CACHE_TTL_MS": "0"]

    @Test func everySortAndFilter() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let alice = try await server.caller()
            let bob = try await server.caller()
            let a1 = try await server.post("a1", tags: ["swift"], as: alice)
            let b1 = try await server.post("b1", tags: ["swift", "redis"], as: bob)
            let a2 = try await server.post("a2", tags: ["redis"], as: alice)
            for _ in 0..<2 { try await server.call(.POST, "/api/posts/\(b1)/like", as: try await server.caller()) }
            try await server.call(.POST, "/api/posts/\(a2)/like", as: try await server.caller())
            #expect(try await server.eventually {
                try await server.page("/api/posts?sort=likes").ids == [b1, a2, a1]
            })
            #expect(try await server.page("/api/posts").ids == [a2, b1, a1])
            #expect(try await server.page("/api/posts?sort=latest").ids == [a2, b1, a1])
            #expect(try await server.page("/api/posts?sort=oldest").ids == [a1, b1, a2])
            #expect(try await server.page("/api/posts?authorId=\(alice.id)").ids == [a2, a1])
            #expect(try await server.page("/api/posts?authorId=\(alice.id)&sort=oldest").ids == [a1, a2])
            #expect(try await server.page("/api/posts?authorId=\(alice.id)&sort=likes").ids == [a2, a1])
            #expect(try await server.page("/api/posts?tag=swift").ids == [b1, a1])
            #expect(try await server.page("/api/posts?tag=SWIFT&sort=oldest").ids == [a1, b1])
            #expect(try await server.page("/api/posts?tag=redis&sort=likes").ids == [b1, a2])
            #expect(try await server.page("/api/posts?tag=redis&authorId=\(alice.id)").ids == [a2])
            #expect(try await server.page("/api/posts?tag=nothing").ids.isEmpty)
        }
    }

    @Test func summariesCarryNoBody() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            try await server.post("긴 글", body: String(repeating: "가나다라 ", count: 2000), as: author)
            let reply = try await server.call(.GET, "/api/posts")
            let item = try #require((reply.json["items"] as? [[String: Any]])?.first)
            #expect(item["body"] == nil)
            #expect(Set(item.keys) == ["id", "title", "excerpt", "authorId", "authorNickname", "tags", "likeCount", "createdAt"]
                    || Set(item.keys) == ["id", "title", "excerpt", "authorId", "tags", "likeCount", "createdAt"])
            #expect(try #require(item["excerpt"] as? String).count <= 200)
            #expect(reply.body.utf8.count < 1000)
        }
    }

    @Test func badParametersAreClearErrors() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let cases = [
                ("/api/posts?sort=random", 422, "invalid_sort"), ("/api/posts?size=0", 422, "invalid_size"),
                ("/api/posts?size=101", 422, "invalid_size"), ("/api/posts?page=0", 422, "invalid_page"),
                ("/api/posts?page=x", 422, "invalid_page"), ("/api/posts?page=501", 422, "page_too_deep"),
                ("/api/posts?page=9223372036854775807&size=100", 422, "page_too_deep"),
                ("/api/posts?authorId=nobody", 422, "invalid_author_id"), ("/api/posts?tag=a%2Fb", 422, "invalid_tag"),
                ("/api/posts?cursor=garbage", 400, "invalid_cursor"), ("/api/posts?cursor=abc.def", 400, "invalid_cursor"),
            ]
            for (path, status, code) in cases {
                let reply = try await server.call(.GET, path)
                #expect(reply.status == status, "\(path)")
                #expect(reply.errorCode == code, "\(path)")
            }
            #expect(try await server.call(.GET, "/api/posts?page=500").status == 200)
        }
    }

    @Test func cursorPagesNeitherRepeatNorSkipWhileNewPostsArrive() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            var expected: [Int64] = []
            for i in 0..<25 { expected.insert(try await server.post("post \(i)", tags: ["paging"], as: author), at: 0) }
            // The posts there were when paging began, newest first: exactly what the pages give.
            for path in ["/api/posts?size=7", "/api/posts?size=7&tag=paging", "/api/posts?size=7&authorId=\(author.id)"] {
                var seen: [Int64] = []
                var page = try await server.page(path)
                seen += page.ids
                while let next = page.next {
                    // A new post on top must not shift what comes next.
                    try await server.post("interloper", tags: ["paging"], as: author)
                    page = try await server.page(path + "&cursor=\(escaped(next))")
                    #expect(page.reply.status == 200)
                    seen += page.ids
                }
                #expect(seen == expected, "\(path)")
                expected = try await server.page("/api/posts?size=100&authorId=\(author.id)").ids
            }
        }
    }

    @Test func aCursorOnlyContinuesItsOwnListing() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            for i in 0..<3 { try await server.post("p\(i)", tags: ["x"], as: author) }
            let next = try #require(try await server.page("/api/posts?size=2").next)
            #expect(try await server.call(.GET, "/api/posts?size=2&cursor=\(escaped(next))").status == 200)
            #expect(try await server.call(.GET, "/api/posts?size=2&sort=likes&cursor=\(escaped(next))").errorCode == "invalid_cursor")
            #expect(try await server.call(.GET, "/api/posts?size=2&tag=x&cursor=\(escaped(next))").errorCode == "invalid_cursor")
            #expect(try await server.call(.GET, "/api/posts?size=2&page=2&cursor=\(escaped(next))").errorCode == "invalid_page")
            var tampered = Array(next)
            tampered[0] = tampered[0] == "A" ? "B" : "A"
            #expect(try await server.call(.GET, "/api/posts?size=2&cursor=\(escaped(String(tampered)))").errorCode == "invalid_cursor")
        }
    }

    @Test func offsetPagesFollowEachOther() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            for i in 0..<5 { try await server.post("p\(i)", as: author) }
            let all = try await server.page("/api/posts?size=5").ids
            #expect(try await server.page("/api/posts?size=2&page=1").ids == Array(all[0..<2]))
            #expect(try await server.page("/api/posts?size=2&page=2").ids == Array(all[2..<4]))
            #expect(try await server.page("/api/posts?size=2&page=3").ids == Array(all[4..<5]))
            #expect(try await server.page("/api/posts?size=2&page=4").ids.isEmpty)
        }
    }
}
