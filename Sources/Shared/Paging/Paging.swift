import Foundation
import Hummingbird

/// Where a page starts: so many rows in (a page number, or a cursor of a listing paged by
/// number), or after a sort key (a keyset cursor).
public enum PagePosition: Sendable, Equatable {
    case offset(Int)
    case after(SortKey)
}

public struct PageRequest: Sendable, Equatable {
    public var size: Int
    public var position: PagePosition

    /// The first page of a listing: the one worth caching.
    public var isFirst: Bool { position == .offset(0) }
    public var offset: Int {
        if case .offset(let rows) = position { return rows }
        return 0
    }
    /// The rows to read: one more than the page, so a page knows whether another follows and a
    /// listing never ends on an empty page.
    public var limit: Int { size + 1 }

    public init(size: Int, position: PagePosition) {
        self.size = size
        self.position = position
    }
}

/// How one listing pages (docs/api.md, "Paging").
public struct Paging: Sendable {
    public enum Style: Sendable {
        /// Keyset cursors only: listings that grow without bound (videos, playlists, likes).
        case cursor
        /// Keyset cursors, and page numbers to jump in (posts, search by latest).
        case cursorOrNumber
        /// Page numbers, and cursors that hold the next one (search by relevance, which ranks a
        /// bounded set).
        case number
    }

    /// What a cursor of this listing is signed for: its order and filters.
    public var fingerprint: String
    public var style: Style
    /// What the listing holds, for messages ("posts", "videos").
    public var items: String
    /// Whether a keyset cursor's tie-breaker is one of this listing's ids.
    public var isID: @Sendable (String) -> Bool

    public init(fingerprint: String, style: Style, items: String, isID: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.fingerprint = fingerprint
        self.style = style
        self.items = items
        self.isID = isID
    }

    public static func postIDs(_ id: String) -> Bool { Int64(id) != nil }
    public static func uuids(_ id: String) -> Bool { UUID(uuidString: id) != nil }
}

/// The paging limits: page sizes, and how deep offset paging may go before a client must use
/// the cursor (each offset row is read and thrown away).
public struct PagingLimits: Sendable, Equatable {
    public var defaultSize = 20
    public var maxSize = 100
    public var maxOffsetRows = 10_000

    public init() {}

    /// `size`, and `cursor` or `page`, from the query string, as `paging` allows them.
    public func request(_ query: Parameters, cursors: PageCursor, paging: Paging) throws -> PageRequest {
        let size = try Self.integer(query, "size") ?? defaultSize
        guard (1...maxSize).contains(size) else {
            throw APIError.invalid("size must be 1 to \(maxSize)", code: "invalid_size")
        }
        let page = try Self.integer(query, "page")
        if let cursor = query.get("cursor"), !cursor.isEmpty {
            guard page == nil || page == 1 else {
                throw APIError.invalid("give either page or cursor", code: "invalid_page")
            }
            let key = try cursors.decode(cursor, listing: paging.fingerprint)
            guard case .number = paging.style else {
                guard paging.isID(key.id) else { throw PageCursor.refused }
                return PageRequest(size: size, position: .after(key))
            }
            return try offsetPage(skipping: key.value, size: size, paging: paging)
        }
        if let page, page != 1, case .cursor = paging.style {
            throw APIError.invalid("the \(paging.items) listing pages by cursor: give the nextCursor of the page before",
                                   code: "invalid_page")
        }
        let number = page ?? 1
        guard number >= 1 else { throw APIError.invalid("page must be 1 or more", code: "invalid_page") }
        // Every step checked: a page number near Int.max must be a 422, not an overflow trap.
        let (skip, overflow) = (number - 1).multipliedReportingOverflow(by: size)
        guard !overflow else { throw tooDeep(paging) }
        return try offsetPage(skipping: Int64(skip), size: size, paging: paging)
    }

    /// The cursor after a page of `size` starting at `request`, when `more` rows follow.
    public func nextCursor(after last: SortKey?, of request: PageRequest, more: Bool, cursors: PageCursor, paging: Paging) -> String? {
        guard more else { return nil }
        switch paging.style {
        case .number:
            let next = request.offset + request.size
            guard next <= maxOffsetRows - request.size else { return nil }
            return cursors.encode(SortKey(value: Int64(next), id: "n"), listing: paging.fingerprint)
        case .cursor, .cursorOrNumber:
            return last.map { cursors.encode($0, listing: paging.fingerprint) }
        }
    }

    private func offsetPage(skipping skip: Int64, size: Int, paging: Paging) throws -> PageRequest {
        guard skip >= 0, skip <= maxOffsetRows - size else { throw tooDeep(paging) }
        return PageRequest(size: size, position: .offset(Int(skip)))
    }

    private func tooDeep(_ paging: Paging) -> APIError {
        switch paging.style {
        case .number:
            APIError.invalid("this order ranks the newest \(maxOffsetRows) \(paging.items) only; sort by latest to go further",
                             code: "page_too_deep")
        case .cursor, .cursorOrNumber:
            APIError.invalid("page goes deeper than \(maxOffsetRows) \(paging.items); continue with the nextCursor of an earlier page",
                             code: "page_too_deep")
        }
    }

    private static func integer(_ query: Parameters, _ name: String) throws -> Int? {
        guard let text = query.get(name) else { return nil }
        guard let value = Int(text) else { throw APIError.invalid("\(name) must be a whole number", code: "invalid_\(name)") }
        return value
    }
}
