import Logging
import Metrics
import PostgresNIO
import Shared

/// Rewrites the search tokens of posts indexed by an older `SearchTokenizer.version`, a batch at
/// a time in the background, so a tokenizer change ships without a migration that locks the
/// table. Until a post is rewritten it is found by its old tokens.
struct SearchReindexer: Sendable {
    let database: Database
    let interval: Duration
    let batchSize: Int
    let logger: Logger
    private let rewritten = Counter(label: "content_search_reindexed_total")

    init(database: Database, interval: Duration, batchSize: Int = 500, logger: Logger) {
        self.database = database
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Catches up at start and then every `interval`.
    var task: PeriodicTask {
        PeriodicTask("search re-index", every: interval, startsNow: true, logger: logger) {
            while try await reindexOnce() == batchSize {}
        }
    }

    /// Rewrites up to `batchSize` posts; returns how many were behind.
    @discardableResult
    func reindexOnce() async throws -> Int {
        let version = SearchTokenizer.version
        let rows = try await database.query("""
            SELECT id, title, body FROM content.posts WHERE search_version < \(version) ORDER BY search_version, id LIMIT \(batchSize)
            """, logger: logger)
        guard !rows.isEmpty else { return 0 }
        var ids: [Int64] = []
        var vectors: [String] = []
        for row in rows {
            let (id, title, body) = try row.decode((Int64, String, String).self)
            ids.append(id)
            vectors.append(SearchTokenizer.vector(title: title, body: body))
        }
        // An edit since the read already wrote current tokens: the version check leaves it be.
        try await database.query("""
            UPDATE content.posts p SET search = v.search::tsvector, search_version = \(version)
            FROM unnest(\(ids)::int8[], \(vectors)::text[]) AS v(id, search)
            WHERE p.id = v.id AND p.search_version < \(version)
            """, logger: logger)
        rewritten.increment(by: rows.count)
        logger.info("search tokens rewritten", metadata: ["posts": "\(rows.count)", "version": "\(version)"])
        return rows.count
    }
}
