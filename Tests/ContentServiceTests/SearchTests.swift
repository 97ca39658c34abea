import Foundation
import Testing
import TestSupport
@testable import ContentService

@Suite struct SearchTests {
    static let uncached = ["CONTENT_CACHE_TTL_MS": "0"]

    func ids(_ server: ContentServer, _ keyword: String, _ extra: String = "") async throws -> [Int64] {
        let page = try await server.page("/api/search?keyword=\(escaped(keyword))\(extra)")
        #expect(page.reply.status == 200, "\(keyword): \(page.reply.body)")
        return page.ids
    }

    @Test func koreanKeywordsMatchInsideWordsAndBeforeParticles() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            let engine = try await server.post("검색엔진을 만들었습니다", body: "빠른 색인", as: author)
            let translation = try await server.post("오늘의 일기", body: "영어 번역을 했어요", as: author)
            let mixed = try await server.post("Swift로 만든 Redis캐시", body: "postgres 인덱스", as: author)
            try await server.post("무관한 글", body: "날씨가 좋다", as: author)

            #expect(try await ids(server, "검색") == [engine])
            #expect(try await ids(server, "엔진") == [engine])
            #expect(try await ids(server, "검색엔진") == [engine])
            #expect(try await ids(server, "번역") == [translation])
            #expect(try await ids(server, "번역을") == [translation])
            // One syllable: anywhere, also at a word's end.
            #expect(try await ids(server, "역") == [translation])
            #expect(Set(try await ids(server, "진")) == [engine])
            #expect(try await ids(server, "swift") == [mixed])
            #expect(try await ids(server, "REDIS") == [mixed])
            #expect(try await ids(server, "캐시") == [mixed])
            #expect(try await ids(server, "redis 캐시") == [mixed])
            #expect(try await ids(server, "redis 번역").isEmpty)
            #expect(try await ids(server, "  검색  ") == [engine])
            #expect(try await ids(server, "없는말").isEmpty)
        }
    }

    @Test func theLastLatinWordMatchesAsAPrefixWhileBeingTyped() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            let redis = try await server.post("Redis 캐시 정리", body: "swift로 만든 서버", as: author)
            let redisson = try await server.post("Redisson 써 보기", body: "자바 클라이언트", as: author)
            let data = try await server.post("데이터 분석", body: "with Swift and pandas", as: author)
            let cafe = try await server.post("Café notes", as: author)
            let c = try await server.post("The C language", as: author)

            #expect(try await ids(server, "redi") == [redisson, redis])
            #expect(try await ids(server, "redis") == [redisson, redis])
            // A space or punctuation after the word says it is complete.
            #expect(try await ids(server, "redis ") == [redis])
            #expect(try await ids(server, "redis.") == [redis])
            #expect(try await ids(server, "swi") == [data, redis])
            #expect(try await ids(server, "데이터 sw") == [data])
            #expect(try await ids(server, "데이터 sw ").isEmpty)
            #expect(try await ids(server, "caf") == [cafe])
            #expect(try await ids(server, "cafe\u{301}") == [cafe])
            // One letter is the word itself, never every word starting with it.
            #expect(try await ids(server, "c") == [c])
            #expect(try await ids(server, "r").isEmpty)
            #expect(try await ids(server, "redis r").isEmpty)
            // Hangul keeps its matching inside words: a syllable anywhere, bigrams in longer words.
            #expect(try await ids(server, "캐") == [redis])
            #expect(try await ids(server, "데이") == [data])
            #expect(try await ids(server, "이터") == [data])
            #expect(try await ids(server, "클라") == [redisson])
        }
    }

    @Test func relevanceRanksTheTypedWordItselfAboveLongerWords() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            let word = try await server.post("redis 정리", as: author)
            let longer = try await server.post("redisson 정리", as: author)
            let inBody = try await server.post("메모", body: "redis 설정", as: author)
            let ranked = try await ids(server, "redis", "&sort=relevance")
            #expect(ranked.first == word)
            #expect(Set(ranked) == [word, longer, inBody])
            #expect(try await ids(server, "redis ", "&sort=relevance") == [word, inBody])
        }
    }

    /// A prefix search reads a window of rows before it pages: cursors and page numbers still
    /// step through every match once.
    @Test func prefixSearchesPageByCursorAndNumber() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            var posts: [Int64] = []
            for i in 0..<5 { posts.insert(try await server.post("redis \(i)", as: author), at: 0) }
            var seen: [Int64] = []
            var page = try await server.page("/api/search?keyword=redi&size=2")
            seen += page.ids
            while let next = page.next {
                page = try await server.page("/api/search?keyword=redi&size=2&cursor=\(escaped(next))")
                seen += page.ids
            }
            #expect(seen == posts)
            #expect(try await ids(server, "redi", "&size=2&page=2") == Array(posts[2..<4]))
            #expect(try await ids(server, "redi", "&size=2&page=3") == [posts[4]])
        }
    }

    /// The page cache keys a search by its terms, prefixes marked: `redi` and `redi ` are two pages.
    @Test func aPrefixAndAWholeWordAreCachedApart() async throws {
        try await ContentServer.run(["CONTENT_CACHE_TTL_MS": "60000"]) { server in
            let author = try await server.caller()
            let redis = try await server.post("redis 캐시", as: author)
            #expect(try await ids(server, "redi") == [redis])
            #expect(try await ids(server, "redi ").isEmpty)
            #expect(try await ids(server, "redi") == [redis])
            #expect(try await ids(server, "redis ") == [redis])
        }
    }

    @Test func hostileKeywordsAreJustText() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            let id = try await server.post("100% or nothing", body: "a_b \\ c", as: author)
            #expect(try await ids(server, "' OR 1=1 --").isEmpty)
            #expect(try await ids(server, "%_\\").isEmpty)
            #expect(try await ids(server, "'; DROP TABLE content.posts; --").isEmpty)
            #expect(try await ids(server, "or").contains(id))
            #expect(try await ids(server, "nothing:* | or").contains(id))
            #expect(try await server.call(.GET, "/api/posts/\(id)").status == 200)
        }
    }

    @Test func keywordsAreValidated() async throws {
        try await ContentServer.run(Self.uncached) { server in
            for keyword in ["", "   ", String(repeating: "가", count: 101)] {
                let reply = try await server.call(.GET, "/api/search?keyword=\(escaped(keyword))")
                #expect(reply.status == 422)
                #expect(reply.errorCode == "invalid_keyword")
            }
            #expect(try await server.call(.GET, "/api/search").errorCode == "invalid_keyword")
            #expect(try await server.call(.GET, "/api/search?keyword=\(escaped(String(repeating: "가", count: 100)))").status == 200)
            #expect(try await server.call(.GET, "/api/search?keyword=a&sort=popular").errorCode == "invalid_sort")
            // Relevance pages by number: any cursor is one it never handed out, the same 400 as a forged one.
            let cursorOnRelevance = try await server.call(.GET, "/api/search?keyword=a&sort=relevance&cursor=x")
            #expect(cursorOnRelevance.status == 400 && cursorOnRelevance.errorCode == "invalid_cursor")
            #expect(try await server.call(.GET, "/api/search?keyword=a&page=2000").errorCode == "page_too_deep")
        }
    }

    @Test func relevancePutsTitleMatchesFirstAndLatestPagesByCursor() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            let inTitle = try await server.post("번역 잘하는 법", body: "요령", as: author)
            var inBody: [Int64] = []
            for i in 0..<5 { inBody.insert(try await server.post("글 \(i)", body: "가끔 번역을 합니다", as: author), at: 0) }
            #expect(try await ids(server, "번역", "&sort=relevance").first == inTitle)
            #expect(try await ids(server, "번역").first == inBody.first)

            var seen: [Int64] = []
            var page = try await server.page("/api/search?keyword=\(escaped("번역"))&size=2")
            seen += page.ids
            while let next = page.next {
                page = try await server.page("/api/search?keyword=\(escaped("번역"))&size=2&cursor=\(escaped(next))")
                seen += page.ids
            }
            #expect(seen == inBody + [inTitle])
            let other = try #require(try await server.page("/api/search?keyword=\(escaped("번역"))&size=2").next)
            #expect(try await server.call(.GET, "/api/search?keyword=\(escaped("요령"))&size=2&cursor=\(escaped(other))").errorCode == "invalid_cursor")
        }
    }

    @Test func searchesAreRecordedForTheAnalysts() async throws {
        try await ContentServer.run(Self.uncached) { server in
            let author = try await server.caller()
            try await server.post("검색 기록", as: author)
            _ = try await ids(server, "검색")
            _ = try await ids(server, "없는말")
            let recorded = try await server.eventually {
                let events = try await server.withDatabase { db in
                    try await db.query("""
                        SELECT e->'payload'->>'keyword', e->'payload'->>'results' FROM queue.jobs, jsonb_array_elements(payload) e
                        WHERE kind = 'audit.events' AND e->>'action' = 'search.performed'
                        """, logger: TestEnvironment.logger).map { try $0.decode((String, String).self) }
                }
                return Set(events.map { "\($0.0)=\($0.1)" }) == ["검색=1", "없는말=0"]
            }
            #expect(recorded)
        }
    }
}
