import Foundation
import PostgresNIO

/// What operators do with the queue: look at it, and retry or discard dead jobs.
extension JobQueue {
    public struct QueueStats: Sendable, Codable, Equatable {
        public var queue: String
        public var available: Int
        public var scheduled: Int
        public var running: Int
        public var dead: Int
        /// Seconds the oldest runnable job has waited (0 when none waits).
        public var oldestAvailableAge: Double
    }

    public func stats() async throws -> [QueueStats] {
        let rows = try await database.query("""
            WITH live AS (
                SELECT queue,
                       count(*) FILTER (WHERE state = 'available' AND run_at <= now()) AS available,
                       count(*) FILTER (WHERE state = 'available' AND run_at > now()) AS scheduled,
                       count(*) FILTER (WHERE state = 'running') AS running,
                       coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'available' AND run_at <= now())), 0)::float8 AS oldest
                FROM queue.jobs GROUP BY queue
            ), dead AS (
                SELECT queue, count(*) AS dead FROM queue.dead_jobs GROUP BY queue
            )
            SELECT coalesce(l.queue, d.queue), coalesce(l.available, 0), coalesce(l.scheduled, 0), coalesce(l.running, 0),
                   coalesce(d.dead, 0), coalesce(l.oldest, 0)
            FROM live l FULL JOIN dead d ON d.queue = l.queue
            ORDER BY 1
            """, logger: logger)
        return try rows.map { row in
            let (queue, available, scheduled, running, dead, oldest) = try row.decode((String, Int, Int, Int, Int, Double).self)
            return QueueStats(queue: queue, available: available, scheduled: scheduled, running: running, dead: dead, oldestAvailableAge: oldest)
        }
    }

    public func deadJobs(queue: String? = nil, limit: Int = 100) async throws -> [DeadJob] {
        let rows = try await database.query("""
            SELECT id, queue, kind, payload::text, attempts, errors::text, died_at FROM queue.dead_jobs
            WHERE \(queue)::text IS NULL OR queue = \(queue)
            ORDER BY died_at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        return try rows.map { row in
            let (id, queue, kind, payload, attempts, errors, diedAt) = try row.decode((Int64, String, String, String, Int32, String, Date).self)
            return DeadJob(id: id, queue: queue, kind: kind, payload: payload, attempts: attempts, errors: errors, diedAt: diedAt)
        }
    }

    /// Puts dead jobs back in line with fresh attempts; their error history stays, with an entry
    /// that marks the retry (`{"retried": <time>, "afterAttempts": n}`), so attempts counted from 1
    /// again read as a new round, not as a history that restarted. `ids == nil`
    /// retries all of them. A dead job whose unique key is taken by a waiting job stays dead.
    /// Returns the ids retried.
    @discardableResult
    public func retryDead(ids: [Int64]?) async throws -> [Int64] {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                WITH revived AS (
                    DELETE FROM queue.dead_jobs d
                    WHERE (\(ids)::int8[] IS NULL OR d.id = ANY(\(ids)::int8[]))
                      AND NOT EXISTS (SELECT 1 FROM queue.jobs j WHERE j.queue = d.queue AND j.unique_key = d.unique_key)
                    RETURNING id, queue, kind, payload, priority, max_attempts, unique_key,
                              errors || jsonb_build_array(jsonb_build_object('retried', now(), 'afterAttempts', attempts)),
                              created_at
                )
                INSERT INTO queue.jobs (id, queue, kind, payload, priority, max_attempts, unique_key, errors, created_at)
                SELECT * FROM revived
                RETURNING id, queue
                """, logger: logger).collect()
            let revived = try rows.map { try $0.decode((Int64, String).self) }
            for queue in Set(revived.map(\.1)).sorted() {
                try await connection.query("SELECT pg_notify(\(Self.channel), \(queue))", logger: logger)
            }
            return revived.map(\.0).sorted()
        }
    }

    /// Deletes dead jobs for good. Returns the ids discarded.
    @discardableResult
    public func discardDead(ids: [Int64]) async throws -> [Int64] {
        let rows = try await database.query(
            "DELETE FROM queue.dead_jobs WHERE id = ANY(\(ids)::int8[]) RETURNING id", logger: logger)
        return try rows.map { try $0.decode(Int64.self) }.sorted()
    }
}
