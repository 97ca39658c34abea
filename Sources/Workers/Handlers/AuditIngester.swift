import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO
import Shared

/// Writes audit events into `audit.events` in batches, group-commit style: one INSERT is in
/// flight at a time, and the events that arrive meanwhile (up to `maxBatch`) go together in the
/// next. A lone event is stored at once; under load the batches grow by themselves, with no timer.
/// Each job's handler call returns when its batch is stored. Idempotent: an event already stored
/// (same id and time) is skipped.
final class AuditIngester: JobHandler, Sendable {
    private let database: Database
    private let maxBatch: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var pending: [(AuditEvent, CheckedContinuation<Void, any Error>)] = []
        var inserting = false
    }

    init(database: Database, maxBatch: Int = 500) {
        self.database = database
        self.maxBatch = maxBatch
    }

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        if job.kind == AuditEvent.batchKind {
            // Already a batch: Postgres unpacks it, so the events are never decoded here.
            let stored = try await insertBatch(job.payload, logger: logger)
            Counter(label: "audit_events_ingested_total").increment(by: stored)
            return
        }
        let event = try job.decodePayload(as: AuditEvent.self)
        guard Self.isUsable(event) else {
            throw JobFailure("audit event has no usable action", permanent: true)
        }
        try await withCheckedThrowingContinuation { continuation in
            let startsInserting = state.withLockedValue { state in
                state.pending.append((event, continuation))
                defer { state.inserting = true }
                return !state.inserting
            }
            if startsInserting {
                // The batches that follow hold other jobs than this one.
                var logger = logger
                logger[metadataKey: "job_id"] = nil
                Task { [logger] in await self.insertWhilePending(logger: logger) }
            }
        }
    }

    static func isUsable(_ event: AuditEvent) -> Bool {
        !event.action.isEmpty && event.action.count <= 100
    }

    private func insertWhilePending(logger: Logger) async {
        while true {
            let batch = state.withLockedValue { state in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.inserting = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let stored = try await insert(batch.map(\.0), logger: logger)
                Counter(label: "audit_events_ingested_total").increment(by: stored)
                Counter(label: "audit_events_duplicate_total").increment(by: batch.count - stored)
                for (_, continuation) in batch { continuation.resume() }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
    }

    /// Stores a batch job's payload, `[AuditEvent]` as JSON, in one statement; returns how many
    /// events were new. Decoding a thousand events in Swift and binding them again cost the
    /// Workers more than the insert itself. Events without a usable action are dropped, as in
    /// `isUsable`; a payload that is not such an array is a permanent failure.
    ///
    /// The JSON is `AuditEvent`'s `Codable` form through a default `JSONEncoder`: `occurredAt` is
    /// seconds since 2001-01-01 UTC (Foundation's reference date), absent optionals are missing.
    private func insertBatch(_ json: String, logger: Logger) async throws -> Int {
        do {
            let rows = try await database.query("""
                INSERT INTO audit.events (event_id, occurred_at, actor_id, action, target_type, target_id, client_address, user_agent, payload)
                SELECT e."eventID"::uuid, to_timestamp(978307200 + e."occurredAt"), nullif(e."actorID", ''), e.action,
                       nullif(e."targetType", ''), nullif(e."targetID", ''), nullif(e."clientAddress", ''),
                       nullif(e."userAgent", ''), coalesce(e.payload, '{}')
                FROM jsonb_to_recordset(\(json)::jsonb) AS e("eventID" text, "occurredAt" float8, "actorID" text, action text,
                     "targetType" text, "targetID" text, "clientAddress" text, "userAgent" text, payload jsonb)
                WHERE e."eventID" IS NOT NULL AND e."occurredAt" IS NOT NULL AND length(e.action) BETWEEN 1 AND 100
                ON CONFLICT (event_id, occurred_at) DO NOTHING
                RETURNING event_id
                """, logger: logger)
            return rows.count
        } catch let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("22") == true {
            // A data exception: not JSON, not an array of objects, a malformed id or time.
            throw JobFailure("audit batch is malformed: \(error.serverInfo?[.message] ?? "data exception")", permanent: true)
        }
    }

    /// Returns how many events were new. An event repeated within the batch is stored once: `DO
    /// NOTHING` skips a row that conflicts with one the same statement inserted.
    private func insert(_ events: [AuditEvent], logger: Logger) async throws -> Int {
        let payloads = try events.map { String(decoding: try JSONEncoder().encode($0.payload), as: UTF8.self) }
        let rows = try await database.query("""
            INSERT INTO audit.events (event_id, occurred_at, actor_id, action, target_type, target_id, client_address, user_agent, payload)
            SELECT e.id::uuid, e.at, nullif(e.actor, ''), e.action, nullif(e.ttype, ''), nullif(e.tid, ''), nullif(e.addr, ''),
                   nullif(e.agent, ''), e.payload::jsonb
            FROM unnest(\(events.map(\.eventID.uuidString))::text[], \(events.map(\.occurredAt))::timestamptz[],
                        \(events.map { $0.actorID ?? "" })::text[], \(events.map(\.action))::text[],
                        \(events.map { $0.targetType ?? "" })::text[], \(events.map { $0.targetID ?? "" })::text[],
                        \(events.map { $0.clientAddress ?? "" })::text[], \(events.map { $0.userAgent ?? "" })::text[],
                        \(payloads)::text[]) AS e(id, at, actor, action, ttype, tid, addr, agent, payload)
            ON CONFLICT (event_id, occurred_at) DO NOTHING
            RETURNING event_id
            """, logger: logger)
        return rows.count
    }
}

/// Keeps monthly partitions of `audit.events` created ahead of time.
struct AuditPartitions: Sendable {
    let database: Database
    let logger: Logger

    func ensure() async throws {
        let created = try await database.query(
            "SELECT audit.ensure_partitions(date_trunc('month', now())::date, 3)", logger: logger)[0].decode(Int.self)
        if created > 0 { logger.info("created audit partitions", metadata: ["count": "\(created)"]) }
    }
}
