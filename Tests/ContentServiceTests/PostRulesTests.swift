import Foundation
import Testing
import TestSupport
@testable import ContentService
@testable import Shared

@Suite struct PostRulesTests {
    let limits = PostLimits()

    @Test func tagsAreNormalisedAndDeduplicated() throws {
        #expect(try limits.tags(["#Swift", "swift", " Server Side ", "ＡＩ", "검색"]) == ["swift", "server-side", "ai", "검색"])
    }

    @Test(arguments: [[""], ["a/b"], [String(repeating: "x", count: 31)], (0..<11).map { "t\($0)" }])
    func badTagsAreRefused(_ tags: [String]) {
        #expect(throws: APIError.self) { try limits.tags(tags) }
    }

    @Test func titlesAreTrimmedAndBounded() throws {
        #expect(try limits.title("  hello  ") == "hello")
        #expect(throws: APIError.self) { try limits.title("   ") }
        #expect(throws: APIError.self) { try limits.title(String(repeating: "가", count: 201)) }
        #expect(try limits.title(String(repeating: "가", count: 200)).count == 200)
        #expect(throws: APIError.self) { try limits.title("a\u{0}b") }
    }

    @Test func bodiesAreBoundedAndKeepTheirNewlines() throws {
        #expect(try limits.body("one\ntwo") == "one\ntwo")
        #expect(throws: APIError.self) { try limits.body(String(repeating: "a", count: limits.maxBodyCharacters + 1)) }
    }

    @Test func excerptsAreShortAndFlat() {
        #expect(limits.excerpt(of: "a\n\n b  c") == "a b c")
        let long = String(repeating: "검색엔진 ", count: 100)
        let excerpt = limits.excerpt(of: long)
        #expect(excerpt.count <= limits.excerptCharacters)
        #expect(excerpt.hasSuffix("…"))
        #expect(limits.excerpt(of: String(repeating: "가", count: 500)).count == limits.excerptCharacters)
    }

    @Test func onlyAuthorsAndAdministratorsChangePosts() {
        let author = Identity(userID: "A1", role: .user, tokenID: "t", issuedAtMilliseconds: 0)
        let other = Identity(userID: "b2", role: .user, tokenID: "t", issuedAtMilliseconds: 0)
        let admin = Identity(userID: "c3", role: .admin, tokenID: "t", issuedAtMilliseconds: 0)
        #expect(PostAccess.mayChange(author, authorID: "a1"))
        #expect(!PostAccess.mayChange(other, authorID: "a1"))
        #expect(PostAccess.mayChange(admin, authorID: "a1"))
        #expect(PostAccess.maySee(hidden: false, by: nil))
        #expect(!PostAccess.maySee(hidden: true, by: author))
        #expect(PostAccess.maySee(hidden: true, by: admin))
    }
}

@Suite struct PageCursorTests {
    let cursors = PageCursor(secret: Data("secret".utf8))

    @Test func aCursorContinuesItsOwnListingOnly() throws {
        let key = SortKey(value: 1_700_000_000_123_456, id: 42)
        let text = cursors.encode(key, listing: "posts|latest||")
        #expect(try cursors.decode(text, listing: "posts|latest||") == key)
        #expect(throws: APIError.self) { try cursors.decode(text, listing: "posts|likes||") }
        #expect(throws: APIError.self) { try PageCursor(secret: Data("other".utf8)).decode(text, listing: "posts|latest||") }
    }

    @Test(arguments: ["", "abc", "a.b", "....", String(repeating: "A", count: 300) + ".x", "MTIzLjQ1.AAAAAAAAAAAAAAAAAAAAAA"])
    func forgedCursorsAreRefused(_ text: String) {
        #expect(throws: APIError.self) { try cursors.decode(text, listing: "posts|latest||") }
    }

    @Test func aTamperedPayloadFailsTheSignature() throws {
        let text = cursors.encode(SortKey(value: 5, id: 7), listing: "l")
        let mac = text.split(separator: ".")[1]
        let forged = Data("5.8".utf8).base64URLEncodedString() + "." + mac
        #expect(throws: APIError.self) { try cursors.decode(forged, listing: "l") }
    }
}

@Suite struct SingleFlightTests {
    @Test func concurrentMissesOfOneKeyLoadOnce() async throws {
        let flights = SingleFlight<Int>()
        let loads = Counter()
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await flights.run("key") {
                        await loads.increment()
                        try await Task.sleep(for: .milliseconds(200))
                        return 7
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(await loads.value == 1)
        #expect(results.allSatisfy { $0.0 == 7 })
        #expect(results.filter { !$0.1 }.count == 1)
        // Once it is done, the next miss loads again.
        _ = try await flights.run("key") { await loads.increment(); return 8 }
        #expect(await loads.value == 2)
    }

    actor Counter {
        var value = 0
        func increment() { value += 1 }
    }
}

/// The address in audit events comes from a trusted proxy's X-Real-IP or from the peer itself.
@Suite struct ClientAddressTests {
    func auditedAddress(_ server: ContentServer) async throws -> String? {
        try await server.withDatabase { db in
            try await db.query("SELECT payload->>'clientAddress' FROM queue.jobs WHERE kind = 'audit.event' ORDER BY id DESC LIMIT 1",
                               logger: TestEnvironment.logger).first?.decode(String?.self)
        }
    }

    @Test func aPeerThatIsNoTrustedProxyCannotNameAnotherAddress() async throws {
        try await ContentServer.run(["TRUSTED_PROXIES": "10.9.9.9"]) { server in
            // The test client connects from 127.0.0.1 and claims 192.0.2.20, as nginx would.
            try await server.post("spoofed", as: try await server.caller())
            #expect(try await auditedAddress(server) == "127.0.0.1")
        }
    }

    @Test func theTrustedProxysAddressIsTakenWhenItIsOne() async throws {
        try await ContentServer.run { server in
            let caller = try await server.caller()
            try await server.post("forwarded", as: caller)
            #expect(try await auditedAddress(server) == "192.0.2.20")
        }
    }
}
