import Foundation
import Logging
import PostgresNIO

/// The SQL of the jobs table: enqueue inside the caller's transaction, claim in batches with
/// `FOR UPDATE SKIP LOCKED`, complete and fail in batches, extend and rescue leases, and the
/// operators' dead-letter commands. Every state change of a running job names its holder and
/// attempt, so a worker whose lease was taken over can never overwrite the newer attempt.
public struct JobQueue: Sendable {
    /// The `LISTEN` channel; the payload is the queue name.
    public static let channel = "queue_jobs"

    public let database: Database
    public let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    // MARK: Enqueue

    /// Enqueues `jobs` on `connection`, which should be inside the caller's transaction: the jobs
    /// exist exactly when the change they follow commits. Returns the ids of the jobs inserted
    /// (a job whose unique key is already waiting is skipped).
    @discardableResult
    public static func enqueue(_ jobs: [NewJob], on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        return try await connection.query(insertion(of: jobs), logger: logger).collect().map { try $0.decode((Int64, String?).self).0 }
    }

    /// Enqueues outside any transaction: one statement, so one round trip, committing on its own.
    @discardableResult
    public func enqueue(_ jobs: [NewJob]) async throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        return try await database.query(Self.insertion(of: jobs), logger: logger).map { try $0.decode((Int64, String?).self).0 }
    }

    /// Inserts the jobs and notifies the queues of those runnable now. Postgres folds the repeated
    /// notifications of a transaction into one per queue, and sends them only when it commits.
    private static func insertion(of jobs: [NewJob]) -> PostgresQuery {
        """
        WITH inserted AS (
            INSERT INTO queue.jobs (queue, kind, payload, priority, run_at, max_attempts, unique_key)
            SELECT q, k, p::jsonb, pr, now() + make_interval(secs => d), m, nullif(u, '')
            FROM unnest(\(jobs.map(\.queue))::text[], \(jobs.map(\.kind))::text[], \(jobs.map(\.payload))::text[],
                        \(jobs.map(\.priority))::int2[], \(jobs.map { $0.runAfter.seconds })::float8[],
                        \(jobs.map(\.maxAttempts))::int4[], \(jobs.map { $0.uniqueKey ?? "" })::text[]) AS t(q, k, p, pr, d, m, u)
            ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
            RETURNING id, queue, run_at
        )
        SELECT id, (CASE WHEN run_at <= now() THEN pg_notify(\(channel), queue) END)::text FROM inserted
        """
    }

    // MARK: Workers

    /// Takes up to `limit` runnable jobs of `queues` for `worker`, leased for `lease`.
    public func claim(queues: [String], limit: Int, worker: String, lease: Duration) async throws -> [ClaimedJob] {
        let rows = try await database.query("""
            WITH picked AS (
                -- Per queue, so each scan walks the (queue, priority, run_at, id) index in order
                -- instead of sorting every waiting job of all the queues.
                SELECT p.id FROM unnest(\(queues)::text[]) AS q(name)
                CROSS JOIN LATERAL (
                    SELECT id, priority, run_at FROM queue.jobs
                    WHERE state = 'available' AND queue = q.name AND run_at <= now()
                    ORDER BY priority, run_at, id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ) p
                ORDER BY p.priority, p.run_at, p.id
                LIMIT \(limit)
            )
            UPDATE queue.jobs j
            SET state = 'running', attempts = j.attempts + 1, locked_by = \(worker),
                locked_until = now() + make_interval(secs => \(lease.seconds))
            FROM picked WHERE j.id = picked.id
            RETURNING j.id, j.queue, j.kind, j.payload::text, j.attempts, j.max_attempts, j.created_at, j.run_at
            """, logger: logger)
        return try rows.map { row in
            let (id, queue, kind, payload, attempt, maxAttempts, createdAt, runAt) =
                try row.decode((Int64, String, String, String, Int32, Int32, Date, Date).self)
            return ClaimedJob(id: id, queue: queue, kind: kind, payload: payload, attempt: attempt,
                              maxAttempts: maxAttempts, createdAt: createdAt, runAt: runAt)
        }.sorted { $0.id < $1.id }
    }

    /// Deletes finished jobs that `worker` still holds at the same attempt; returns those deleted.
    @discardableResult
    public func complete(_ jobs: [ClaimedJob], worker: String) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let rows = try await database.query("""
            DELETE FROM queue.jobs j
            USING unnest(\(jobs.map(\.id))::int8[], \(jobs.map(\.attempt))::int4[]) AS done(id, attempt)
            WHERE j.id = done.id AND j.attempts = done.attempt AND j.state = 'running' AND j.locked_by = \(worker)
            RETURNING j.id
            """, logger: logger)
        return Set(try rows.map { try $0.decode(Int64.self) })
    }

    /// One failed attempt: back to waiting with backoff, or to the dead jobs when it was the last
    /// attempt or the failure is permanent; a failure that spends no attempt gives it back. Returns the ids that were still held (and so recorded).
    @discardableResult
    public func fail(_ failures: [(job: ClaimedJob, failure: JobFailure, retryIn: Duration)], worker: String) async throws -> Set<Int64> {
        guard !failures.isEmpty else { return [] }
        let dies = failures.map { $0.failure.kills($0.job) }
        let refunds = failures.map { !$0.failure.spendsAttempt }
        // One statement: atomic without an explicit transaction.
        let rows = try await database.query("""
                WITH failed AS (
                    SELECT * FROM unnest(\(failures.map(\.job.id))::int8[], \(failures.map(\.job.attempt))::int4[],
                                         \(failures.map(\.failure.message))::text[], \(failures.map { $0.retryIn.seconds })::float8[],
                                         \(dies)::bool[], \(refunds)::bool[]) AS f(id, attempt, error, delay, dies, refund)
                ),
                held AS (
                    -- A failure that spends no attempt may repeat for as long as its cause lasts
                    -- (every 30 s for a full volume): the history keeps only the first in a row.
                    SELECT j.id, f.error, f.delay, f.dies, f.refund,
                           CASE WHEN f.refund AND j.errors -> -1 ->> 'error' = f.error THEN j.errors
                                ELSE j.errors || jsonb_build_array(jsonb_build_object('attempt', f.attempt, 'at', now(), 'error', f.error))
                           END AS errors
                    FROM queue.jobs j JOIN failed f ON f.id = j.id AND f.attempt = j.attempts
                    WHERE j.state = 'running' AND j.locked_by = \(worker)
                    FOR UPDATE OF j
                ),
                buried AS (
                    DELETE FROM queue.jobs j USING held h WHERE j.id = h.id AND h.dies
                    RETURNING j.id, j.queue, j.kind, j.payload, j.priority, j.attempts, j.max_attempts, j.unique_key, h.errors, j.created_at
                ),
                dead AS (
                    INSERT INTO queue.dead_jobs (id, queue, kind, payload, priority, attempts, max_attempts, unique_key, errors, created_at)
                    SELECT * FROM buried RETURNING id
                ),
                retried AS (
                    UPDATE queue.jobs j
                    SET state = 'available', locked_by = NULL, locked_until = NULL, errors = h.errors,
                        run_at = now() + make_interval(secs => h.delay), attempts = j.attempts - h.refund::int
                    FROM held h WHERE j.id = h.id AND NOT h.dies
                    RETURNING j.id
                )
                SELECT id FROM dead UNION ALL SELECT id FROM retried
                """, logger: logger)
        return Set(try rows.map { try $0.decode(Int64.self) })
    }

    /// Pushes the leases of jobs still running forward (heartbeat). Rows locked by a concurrent
    /// complete or fail of the same worker are skipped: they are about to leave, and waiting for
    /// them in another order could deadlock.
    /// Stores the progress the jobs reported too (a fraction from 0 to 1; a job without a figure
    /// keeps its last). Returns the ids whose lease was extended.
    @discardableResult
    public func extendLeases(_ jobs: [ClaimedJob], worker: String, lease: Duration, progress: [Int64: Double] = [:]) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        // -1 stands for "no figure": arrays of optionals do not bind.
        let fractions = jobs.map { Float(progress[$0.id] ?? -1) }
        let rows = try await database.query("""
            WITH held AS (
                SELECT j.id, h.progress FROM queue.jobs j
                JOIN unnest(\(jobs.map(\.id))::int8[], \(jobs.map(\.attempt))::int4[], \(fractions)::float4[]) AS h(id, attempt, progress)
                  ON j.id = h.id AND j.attempts = h.attempt
                WHERE j.state = 'running' AND j.locked_by = \(worker)
                ORDER BY j.id
                FOR UPDATE OF j SKIP LOCKED
            )
            UPDATE queue.jobs j SET locked_until = now() + make_interval(secs => \(lease.seconds)),
                progress = coalesce(nullif(held.progress, -1), j.progress)
            FROM held WHERE j.id = held.id
            RETURNING j.id
            """, logger: logger)
        return Set(try rows.map { try $0.decode(Int64.self) })
    }

    /// Which of `jobs` this worker still holds in this attempt, read without locks: a job the
    /// heartbeat skipped (locked a moment by someone else) may still be ours.
    public func stillHeld(_ jobs: [ClaimedJob], worker: String) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let rows = try await database.query("""
            SELECT j.id FROM queue.jobs j
            JOIN unnest(\(jobs.map(\.id))::int8[], \(jobs.map(\.attempt))::int4[]) AS h(id, attempt) ON j.id = h.id AND j.attempts = h.attempt
            WHERE j.state = 'running' AND j.locked_by = \(worker)
            """, logger: logger)
        return Set(try rows.map { try $0.decode(Int64.self) })
    }

    /// Gives jobs back without counting the attempt (graceful shutdown before they started).
    public func release(_ jobs: [ClaimedJob], worker: String) async throws {
        guard !jobs.isEmpty else { return }
        try await database.query("""
            UPDATE queue.jobs j SET state = 'available', locked_by = NULL, locked_until = NULL, attempts = j.attempts - 1
            FROM unnest(\(jobs.map(\.id))::int8[], \(jobs.map(\.attempt))::int4[]) AS held(id, attempt)
            WHERE j.id = held.id AND j.attempts = held.attempt AND j.state = 'running' AND j.locked_by = \(worker)
            """, logger: logger)
    }

    /// Makes jobs whose lease ran out (their worker died or hung) runnable again, or dead when
    /// that was their last attempt.
    /// What a rescue did: how many jobs whose lease had run out it took back, and those among them
    /// that had had their last attempt and are dead now, which no handler has heard of.
    public struct Rescue: Sendable {
        public var count: Int
        public var buried: [ClaimedJob]
    }

    @discardableResult
    public func rescueExpiredLeases() async throws -> Rescue {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT id, attempts >= max_attempts FROM queue.jobs
                WHERE state = 'running' AND locked_until < now()
                FOR UPDATE SKIP LOCKED
                """, logger: logger).collect()
            let expired = try rows.map { try $0.decode((Int64, Bool).self) }
            guard !expired.isEmpty else { return Rescue(count: 0, buried: []) }
            let note = "jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(), 'error', 'lease expired: worker ' || locked_by || ' stopped responding'))"
            let dead = expired.filter(\.1).map(\.0)
            let retry = expired.filter { !$0.1 }.map(\.0)
            var buried: [ClaimedJob] = []
            if !dead.isEmpty {
                let rows = try await connection.query("""
                    WITH buried AS (
                        DELETE FROM queue.jobs WHERE id = ANY(\(dead)::int8[])
                        RETURNING id, queue, kind, payload, priority, attempts, max_attempts, unique_key, errors || \(unescaped: note) AS errors,
                                  created_at, run_at
                    ),
                    dead AS (
                        INSERT INTO queue.dead_jobs (id, queue, kind, payload, priority, attempts, max_attempts, unique_key, errors, created_at)
                        SELECT id, queue, kind, payload, priority, attempts, max_attempts, unique_key, errors, created_at FROM buried
                    )
                    SELECT id, queue, kind, payload::text, attempts, max_attempts, created_at, run_at FROM buried
                    """, logger: logger).collect()
                buried = try rows.map { row in
                    let (id, queue, kind, payload, attempt, maxAttempts, createdAt, runAt) =
                        try row.decode((Int64, String, String, String, Int32, Int32, Date, Date).self)
                    return ClaimedJob(id: id, queue: queue, kind: kind, payload: payload, attempt: attempt, maxAttempts: maxAttempts,
                                      createdAt: createdAt, runAt: runAt)
                }
            }
            if !retry.isEmpty {
                try await connection.query("""
                    UPDATE queue.jobs SET state = 'available', locked_by = NULL, locked_until = NULL, errors = errors || \(unescaped: note)
                    WHERE id = ANY(\(retry)::int8[])
                    """, logger: logger)
            }
            return Rescue(count: expired.count, buried: buried)
        }
    }
}

extension MigrationSet {
    /// The `queue` schema, which Shared owns.
    public static func queue() throws -> MigrationSet {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigurationError("the queue migrations are missing from the build")
        }
        return try MigrationSet(schema: "queue", directory: directory.appendingPathComponent("queue"))
    }
}
