import Hummingbird

/// One page of any listing, the one envelope they all answer with: the items, and the cursor that
/// continues after them, null when nothing follows (docs/api.md, "Paging").
public struct Page<Item: Codable & Sendable>: Codable, Sendable, ResponseEncodable {
    public var items: [Item]
    public var nextCursor: String?

    /// `nextCursor` is written as null at the end, not left out: the end is said, not implied.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    public init(items: [Item], nextCursor: String? = nil) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// The page of `rows`, read with `request.limit` (one more than the page): the first
    /// `request.size` rows as items, and a cursor after the last of them when another row followed.
    public init<Row>(rows: [Row], request: PageRequest, limits: PagingLimits, cursors: PageCursor, paging: Paging,
              item: (Row) -> Item, key: (Row) -> SortKey) {
        let shown = rows.prefix(request.size)
        items = shown.map(item)
        nextCursor = limits.nextCursor(after: shown.last.map(key), of: request, more: rows.count > request.size,
                                       cursors: cursors, paging: paging)
    }
}
