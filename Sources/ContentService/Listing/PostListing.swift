import Foundation
import Hummingbird
import Shared

/// A request for `GET /api/posts`: order, filters and page. Each combination reads one index:
/// the tag filter alone goes through `post_tags`, everything else through the posts indexes.
struct PostListing: Sendable, Equatable {
    enum Sort: String, Sendable, CaseIterable {
        case latest, oldest, likes
    }

    var sort: Sort
    var authorID: String?
    var tag: String?
    var page: PageRequest

    init(query: Parameters, limits: PagingLimits, postLimits: PostLimits, cursors: PageCursor) throws {
        let sortText = query.get("sort") ?? "latest"
        guard let sort = Sort(rawValue: sortText) else {
            throw APIError.invalid("sort must be one of \(Sort.allCases.map(\.rawValue).joined(separator: ", "))", code: "invalid_sort")
        }
        self.sort = sort
        if let author = query.get("authorId") {
            guard let uuid = UUID(uuidString: author) else { throw APIError.invalid("authorId must be a user id", code: "invalid_author_id") }
            authorID = uuid.uuidString.lowercased()
        }
        if let tag = query.get("tag") {
            self.tag = try postLimits.tags([tag]).first
        }
        page = .init(size: 0, position: .offset(0))
        page = try limits.request(query, cursors: cursors, paging: paging)
    }

    var paging: Paging {
        Paging(fingerprint: fingerprint, style: .cursorOrNumber, items: "posts", isID: Paging.postIDs)
    }

    /// What a cursor is bound to, and (with the page) what a cached page is keyed by.
    var fingerprint: String {
        "posts|\(sort.rawValue)|\(authorID ?? "")|\(tag ?? "")"
    }

    /// The sort key a cursor after `summary` continues from.
    func key(after summary: PostSummary, micros: Int64) -> SortKey {
        SortKey(value: sort == .likes ? Int64(summary.likeCount) : micros, id: summary.id)
    }

    /// The page's ids come from one index in order (an index-only scan where the filters allow,
    /// so skipped offset rows cost no heap reads); only the page's rows are then read whole.
    var sql: SQLBuilder {
        var b = SQLBuilder()
        let throughTags = tag != nil && authorID == nil
        let (time, likes, id) = throughTags ? ("t.created_at", "t.like_count", "t.post_id") : ("p.created_at", "p.like_count", "p.id")
        let key = sort == .likes ? likes : time
        b.add("SELECT \(PostSummary.columns) FROM (SELECT \(id) AS id, \(key) AS key FROM ")
        if throughTags, let tag {
            let tagParameter = b.bind(tag)
            b.add("content.post_tags t WHERE t.tag = \(tagParameter) AND t.visible")
        } else {
            b.add("content.posts p WHERE p.visible")
        }
        if let authorID {
            let author = b.bind(authorID)
            b.add(" AND p.author_id = \(author)::uuid")
            if let tag {
                let tagParameter = b.bind([tag])
                b.add(" AND p.tags @> \(tagParameter)")
            }
        }
        if case .after(let position) = page.position {
            let value = b.bind(position.value)
            let after = b.bind(position.postID ?? 0)
            switch sort {
            case .latest: b.add(" AND (\(time), \(id)) < (\(SQLTime.fromMicros(value)), \(after))")
            case .oldest: b.add(" AND (\(time), \(id)) > (\(SQLTime.fromMicros(value)), \(after))")
            case .likes: b.add(" AND (\(likes), \(id)) < (\(value)::integer, \(after))")
            }
        }
        let direction = sort == .oldest ? "" : " DESC"
        let limit = b.bind(page.limit)
        let offset = b.bind(page.offset)
        b.add(" ORDER BY \(key)\(direction), \(id)\(direction) LIMIT \(limit) OFFSET \(offset)")
        b.add(") page JOIN content.posts p ON p.id = page.id LEFT JOIN content.authors a ON a.id = p.author_id")
        b.add(" ORDER BY page.key\(direction), page.id\(direction)")
        return b
    }
}
