import Foundation
import Hummingbird
import Shared

/// A request for `GET /api/search`. `latest` walks matches newest first with keyset paging;
/// `relevance` ranks the newest `relevanceCandidates` matches (offset pages only), so a keyword
/// that matches half the corpus never ranks half the corpus.
struct PostSearch: Sendable, Equatable {
    enum Sort: String, Sendable, CaseIterable {
        case latest, relevance
    }

    static let maxKeywordCharacters = 100
    /// How many rows a search ending in a prefix asks for before it pages (see `sql`).
    static let prefixWindow = 50

    /// The keyword as searched: trimmed and normalised (NFKC, lower case).
    var keyword: String
    /// Nil when the keyword holds nothing searchable (only punctuation): no post matches.
    var tsquery: String?
    /// Ranks relevance alongside `tsquery` when the keyword ends in a word being typed: the word
    /// whole (`SearchTokenizer.wholeWordQuery`). It follows from the same terms as `tsquery`.
    var wholeWordQuery: String?
    var sort: Sort
    var page: PageRequest
    /// The limits this search pages by: relevance goes no deeper than its candidates.
    var limits: PagingLimits

    init(query: Parameters, limits: PagingLimits, relevanceCandidates: Int, cursors: PageCursor) throws {
        let rule = TextRule(field: "keyword", scalars: 1...Self.maxKeywordCharacters)
        // NFKC can lengthen text (a ligature becomes its letters): the rule holds for what is searched.
        let raw = query.get("keyword") ?? ""
        let keyword = try rule.check(SearchTokenizer.normalized(try rule.check(raw)))
        self.keyword = keyword
        // Trimming drops it, but a space after the last word says the word is complete: `redis `
        // asks for `redis` alone, `redis` (still typing) also for `redisson`.
        let terms = SearchTokenizer.keywordTerms(keyword, lastWordComplete: raw.unicodeScalars.last?.properties.isWhitespace ?? false)
        tsquery = SearchTokenizer.query(terms)
        wholeWordQuery = SearchTokenizer.wholeWordQuery(terms)
        let sortText = query.get("sort") ?? "latest"
        guard let sort = Sort(rawValue: sortText) else {
            throw APIError.invalid("sort must be one of \(Sort.allCases.map(\.rawValue).joined(separator: ", "))", code: "invalid_sort")
        }
        self.sort = sort
        self.limits = limits
        if sort == .relevance { self.limits.maxOffsetRows = relevanceCandidates }
        page = .init(size: 0, position: .offset(0))
        page = try self.limits.request(query, cursors: cursors, paging: paging)
    }

    /// Latest pages by keyset cursor (or page number); relevance by number only, its cursor
    /// holding the next page's offset.
    var paging: Paging {
        Paging(fingerprint: fingerprint, style: sort == .relevance ? .number : .cursorOrNumber, items: "results", isID: Paging.postIDs)
    }

    /// What decides the answer, for the page cache's key and the cursor's binding: the order and
    /// the terms, prefixes marked (`'redi':*` and `'redi'` are different searches). The whole-word
    /// query follows from the same terms, so it needs no place of its own.
    var fingerprint: String {
        "search|\(sort.rawValue)|\(tsquery ?? "")"
    }

    func key(after summary: PostSummary, micros: Int64) -> SortKey {
        SortKey(value: micros, id: summary.id)
    }

    func sql(relevanceCandidates: Int) -> SQLBuilder? {
        guard let tsquery else { return nil }
        var b = SQLBuilder()
        let q = b.bind(tsquery)
        var outerOffset = page.offset
        switch sort {
        case .latest where wholeWordQuery != nil:
            // A rare prefix is estimated as common as a rare word, but its index read is costed
            // far higher, so for 20 rows the planner would walk the newest posts, all million of
            // them for `kafk`. Asking for at least `prefixWindow` rows, apart (materialized), tips
            // a rare prefix to the index; a common one still walks, and stops at the window. The
            // page's offset is skipped there too, so only the page's rows are joined.
            let window = b.bind(max(page.limit, Self.prefixWindow - page.offset))
            let skipped = b.bind(page.offset)
            b.add("WITH m AS MATERIALIZED (SELECT id FROM content.posts WHERE visible AND search @@ \(q)::tsquery")
            addKeyset(to: &b, table: "")
            b.add(" ORDER BY created_at DESC, id DESC LIMIT \(window) OFFSET \(skipped))")
            b.add(" SELECT \(PostSummary.columns) FROM m JOIN content.posts p ON p.id = m.id LEFT JOIN content.authors a ON a.id = p.author_id")
            b.add(" ORDER BY p.created_at DESC, p.id DESC")
            outerOffset = 0
        case .latest:
            b.add("SELECT \(PostSummary.columns) FROM content.posts p LEFT JOIN content.authors a ON a.id = p.author_id")
            b.add(" WHERE p.visible AND p.search @@ \(q)::tsquery")
            addKeyset(to: &b, table: "p.")
            b.add(" ORDER BY p.created_at DESC, p.id DESC")
        case .relevance:
            let candidates = b.bind(relevanceCandidates)
            // A post with the typed word itself gets its rank once more, above posts with only longer words.
            var rank = "ts_rank(search, \(q)::tsquery)"
            if let wholeWordQuery { rank += " + ts_rank(search, \(b.bind(wholeWordQuery))::tsquery)" }
            b.add("""
                SELECT \(PostSummary.columns) FROM (
                    SELECT id, \(rank) AS rank FROM content.posts
                    WHERE visible AND search @@ \(q)::tsquery ORDER BY created_at DESC, id DESC LIMIT \(candidates)
                ) c JOIN content.posts p ON p.id = c.id LEFT JOIN content.authors a ON a.id = p.author_id
                ORDER BY c.rank DESC, p.created_at DESC, p.id DESC
                """)
        }
        let limit = b.bind(page.limit)
        let offset = b.bind(outerOffset)
        b.add(" LIMIT \(limit) OFFSET \(offset)")
        return b
    }

    private func addKeyset(to b: inout SQLBuilder, table: String) {
        guard case .after(let key) = page.position else { return }
        let value = b.bind(key.value)
        let id = b.bind(key.postID ?? 0)
        b.add(" AND (\(table)created_at, \(table)id) < (\(SQLTime.fromMicros(value)), \(id))")
    }
}
