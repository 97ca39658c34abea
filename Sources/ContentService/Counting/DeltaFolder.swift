import Logging
import Metrics
import PostgresNIO
import Shared

/// Folds an append-only table of deltas into the counters they change, a batch at a time: a
/// thousand likes of one post, or plays of one video, become one update of its row, so a popular
/// row never queues its writers. One folder of each kind runs at a time across instances (an
/// advisory lock), so two never update the same rows in different orders.
struct DeltaFolder: Sendable {
    /// Takes up to `limit` deltas, applies them, returns how many it took.
    typealias Fold = @Sendable (_ connection: PostgresConnection, _ limit: Int, _ logger: Logger) async throws -> Int

    let kind: String
    let database: Database
    let interval: Duration
    let batchSize: Int
    let logger: Logger
    private let lockKey: Int64
    private let fold: Fold
    private let folded: Counter

    init(kind: String, lockKey: Int64, database: Database, interval: Duration, batchSize: Int = 10_000, logger: Logger, fold: @escaping Fold) {
        self.kind = kind
        self.lockKey = lockKey
        self.database = database
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
        self.fold = fold
        self.folded = Counter(label: "content_deltas_folded_total", dimensions: [("kind", kind)])
    }

    /// Folds every `interval`, while there is a backlog, and once more on the way out so counts
    /// do not wait for the next start.
    var task: PeriodicTask {
        PeriodicTask("folding \(kind)", every: interval, logger: logger, onShutdown: { _ = try await foldOnce() }) {
            while try await foldOnce() == batchSize {}
        }
    }

    /// Folds up to `batchSize` deltas; returns how many.
    @discardableResult
    func foldOnce() async throws -> Int {
        let count = try await database.withTransaction(logger: logger) { connection -> Int in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(lockKey))", logger: logger)
                .collect().first?.decode(Bool.self) ?? false
            guard locked else { return 0 }
            return try await fold(connection, batchSize, logger)
        }
        if count > 0 { folded.increment(by: count) }
        return count
    }
}

extension DeltaFolder {
    /// Likes into `posts.like_count` and the tag rows' copy of it.
    static func likes(database: Database, interval: Duration, logger: Logger) -> DeltaFolder {
        DeltaFolder(kind: "likes", lockKey: 0x636f_6e74_6c69_6b65 /* "contlike" */, database: database, interval: interval, logger: logger) {
            connection, limit, logger in
            let rows = try await connection.query("""
                WITH taken AS (
                    DELETE FROM content.like_deltas WHERE id IN (
                        SELECT id FROM content.like_deltas ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
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
    }

    /// Plays into `videos.play_count`; plays of a deleted video are dropped with it.
    static func plays(database: Database, interval: Duration, logger: Logger) -> DeltaFolder {
        DeltaFolder(kind: "plays", lockKey: 0x636f_6e74_706c_6179 /* "contplay" */, database: database, interval: interval, logger: logger) {
            connection, limit, logger in
            let rows = try await connection.query("""
                WITH taken AS (
                    DELETE FROM content.play_deltas WHERE id IN (
                        SELECT id FROM content.play_deltas ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                    RETURNING video_id),
                sums AS (SELECT video_id, count(*) AS n FROM taken GROUP BY video_id),
                videos AS (
                    UPDATE content.videos v SET play_count = v.play_count + sums.n FROM sums WHERE v.id = sums.video_id)
                SELECT coalesce(sum(n), 0)::integer FROM sums
                """, logger: logger).collect()
            return Int(try rows.first?.decode(Int32.self) ?? 0)
        }
    }
}
