import Foundation
import Hummingbird
import Testing
@testable import ContentService
@testable import Shared

/// The one paging envelope: `{items, nextCursor}`, a cursor only when more follow, and each
/// listing's own way of going deeper.
@Suite struct PagingTests {
    let limits = PagingLimits()
    let cursors = PageCursor(secret: Data("paging".utf8))
    let byCursor = Paging(fingerprint: "videos||false", style: .cursor, items: "videos", isID: Paging.uuids)
    let byNumber = Paging(fingerprint: "search|relevance|x", style: .number, items: "results")

    func query(_ pairs: (String, String)...) -> Parameters {
        var parameters = Parameters()
        for (key, value) in pairs { parameters[Substring(key)] = Substring(value) }
        return parameters
    }

    func page(_ rows: Range<Int>, _ request: PageRequest, _ paging: Paging) -> Page<Int> {
        Page(rows: Array(rows), request: request, limits: limits, cursors: cursors, paging: paging, item: { $0 }) {
            SortKey(value: Int64($0), id: UUID(uuidString: "00000000-0000-0000-0000-0000000000\(String(format: "%02d", $0 % 100))")!)
        }
    }

    @Test func aListingNeverEndsOnAnEmptyPage() throws {
        let request = try limits.request(query(("size", "3")), cursors: cursors, paging: byCursor)
        #expect(request.limit == 4)
        let exact = page(0..<3, request, byCursor)
        #expect(exact.items == [0, 1, 2] && exact.nextCursor == nil, "three rows of a three-row page: nothing follows")
        let more = page(0..<4, request, byCursor)
        #expect(more.items == [0, 1, 2])
        let next = try limits.request(query(("size", "3"), ("cursor", try #require(more.nextCursor))), cursors: cursors, paging: byCursor)
        #expect(next.position == .after(SortKey(value: 2, id: UUID(uuidString: "00000000-0000-0000-0000-000000000002")!)))
    }

    @Test func cursorListingsTakeNoPageNumbers() throws {
        #expect(throws: APIError.self) { try limits.request(query(("page", "2")), cursors: cursors, paging: byCursor) }
        #expect(try limits.request(query(("page", "1")), cursors: cursors, paging: byCursor).isFirst)
    }

    @Test func aCursorWithAnotherListingsKindOfIdIsRefused() throws {
        let postCursor = cursors.encode(SortKey(value: 1, id: 42), listing: byCursor.fingerprint)
        let error = try #require(throws: APIError.self) {
            try limits.request(query(("cursor", postCursor)), cursors: cursors, paging: byCursor)
        }
        #expect(error.code == "invalid_cursor")
    }

    @Test func numberedListingsHandOutTheNextPageAsACursor() throws {
        var deep = limits
        deep.maxOffsetRows = 10
        let first = try deep.request(query(("size", "4")), cursors: cursors, paging: byNumber)
        let cursor = try #require(Page(rows: Array(0..<5), request: first, limits: deep, cursors: cursors, paging: byNumber,
                                       item: { $0 }, key: { _ in SortKey(value: 0, id: "x") }).nextCursor)
        let second = try deep.request(query(("size", "4"), ("cursor", cursor)), cursors: cursors, paging: byNumber)
        #expect(second.offset == 4)
        #expect(try deep.request(query(("size", "4"), ("page", "2")), cursors: cursors, paging: byNumber) == second)
        // The last page within the ranked set hands out no cursor past it, and a page number past it says why.
        let last = try deep.request(query(("size", "4"), ("page", "2")), cursors: cursors, paging: byNumber)
        #expect(Page(rows: Array(0..<5), request: last, limits: deep, cursors: cursors, paging: byNumber,
                     item: { $0 }, key: { _ in SortKey(value: 0, id: "x") }).nextCursor == nil)
        let error = try #require(throws: APIError.self) {
            try deep.request(query(("size", "4"), ("page", "4")), cursors: cursors, paging: byNumber)
        }
        #expect(error.code == "page_too_deep" && error.message.contains("sort by latest"))
    }
}
