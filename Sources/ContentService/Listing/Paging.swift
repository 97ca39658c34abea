import Foundation
import Hummingbird
import Shared

/// Where a page starts: so many rows in (offset pages), or after a sort key (cursor pages).
enum PagePosition: Sendable, Equatable {
    case offset(Int)
    case after(SortKey)
}

struct PageRequest: Sendable, Equatable {
    var size: Int
    var position: PagePosition

    /// The first page of a listing: the one worth caching.
    var isFirst: Bool { position == .offset(0) }
    var offset: Int {
        if case .offset(let rows) = position { return rows }
        return 0
    }
}

/// The paging limits: page sizes, and how deep offset paging may go before a client must use
/// the cursor (each offset row is read and thrown away).
struct PagingLimits: Sendable {
    var defaultSize = 20
    var maxSize = 100
    var maxOffsetRows = 10_000

    /// `page`, `size` and `cursor` from the query string; `listing` is what a cursor must be for.
    func request(_ query: Parameters, cursors: PageCursor, listing: String) throws -> PageRequest {
        let size = try self.size(query)
        let page = try Self.integer(query, "page")
        if let cursor = query.get("cursor"), !cursor.isEmpty {
            guard page == nil || page == 1 else {
                throw APIError.invalid("give either page or cursor", code: "invalid_page")
            }
            return PageRequest(size: size, position: .after(try cursors.decode(cursor, listing: listing)))
        }
        return try offsetPage(page, size: size)
    }

    /// `page` and `size` for a listing that pages by number only (relevance search, videos,
    /// playlists): a `cursor` is refused, naming `listing`, with the 400 `invalid_cursor` of any
    /// cursor this listing did not hand out (it hands out none).
    func offsetRequest(_ query: Parameters, listing: String) throws -> PageRequest {
        guard query.get("cursor") == nil else {
            throw APIError.badRequest("\(listing) pages by page number, not cursor", code: "invalid_cursor")
        }
        let size = try self.size(query)
        return try offsetPage(try Self.integer(query, "page"), size: size)
    }

    private func size(_ query: Parameters) throws -> Int {
        let size = try Self.integer(query, "size") ?? defaultSize
        guard (1...maxSize).contains(size) else {
            throw APIError.invalid("size must be 1 to \(maxSize)", code: "invalid_size")
        }
        return size
    }

    private func offsetPage(_ page: Int?, size: Int) throws -> PageRequest {
        let number = page ?? 1
        guard number >= 1 else { throw APIError.invalid("page must be 1 or more", code: "invalid_page") }
        // Every step checked: a page number near Int.max must be a 422, not an overflow trap.
        let (skip, overflow) = (number - 1).multipliedReportingOverflow(by: size)
        guard !overflow, skip <= maxOffsetRows - size else {
            throw APIError.invalid(
                "page goes deeper than \(maxOffsetRows) posts; continue with the nextCursor of an earlier page",
                code: "page_too_deep")
        }
        return PageRequest(size: size, position: .offset(skip))
    }

    private static func integer(_ query: Parameters, _ name: String) throws -> Int? {
        guard let text = query.get(name) else { return nil }
        guard let value = Int(text) else { throw APIError.invalid("\(name) must be a whole number", code: "invalid_\(name)") }
        return value
    }
}
