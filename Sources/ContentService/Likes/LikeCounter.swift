import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Shared

/// Folds the likes' deltas into `posts.like_count` (and the tag rows' copy) a batch at a time: a
/// thousand likes of one post become one update of its row. One folder runs at a time across
/// instances (an advisory lock), so two never update the same rows in different orders.
struct LikeCounter: Service {
    let database: Database
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    private static let lockKey: Int64 = 0x636f_6e74_6c69_6b65  // "contlike"
    private let folded = Counter(label: "content_like_deltas_folded_total")

    init(database: Database, interval: Duration, batchSize: Int = 10_000, logger: Logger) {
        self.database = database
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    // Keep going while there is a backlog, then wait for the next tick.
                    while try await foldOnce() == batchSize {}
                } catch {
                    logger.backgroundFailure("folding likes failed", error)
                }
            }
        }
        // A last fold on the way out, so counts do not wait for the next start.
        _ = try? await foldOnce()
    }

    /// Folds up to `batchSize` deltas; returns how many.
    @discardableResult
    func foldOnce() async throws -> Int {
        let count = try await database.withTransaction(logger: logger) { connection -> Int in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                .collect().first?.decode(Bool.self) ?? false
            guard locked else { return 0 }
            let rows = try await connection.query("""
                WITH taken AS (
                    DELETE FROM content.like_deltas WHERE id IN (
                        SELECT id FROM content.like_deltas ORDER BY id LIMIT \(batchSize) FOR UPDATE SKIP LOCKED)
                    RETURNING post_id, delta),
                sums AS (
                    SELECT post_id, sum(delta)::integer AS change, count(*) AS n FROM taken GROUP BY post_id),
                posts AS (
                    UPDATE content.posts p SET like_count = p.like_count + sums.change
                    FROM sums WHERE p.id = sums.post_id AND sums.change <> 0 RETURNING p.id, p.like_count),
                tags AS (
                    UPDATE content.post_tags t SET like_count = posts.like_count FROM posts WHERE t.post_id = posts.id)
                SELECT coalesce(sum(n), 0)::integer FROM sums
                """, logger: logger).collect()
            return Int(try rows.first?.decode(Int32.self) ?? 0)
        }
        if count > 0 { folded.increment(by: count) }
        return count
    }
}
