import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport
@testable import Shared
@testable import Workers

struct Empty: Codable {}
struct Numbered: Codable { var n: Int }

/// A scratch database with the queue schema, and a queue on it.
func withQueue<T: Sendable>(_ body: (JobQueue, Database) async throws -> T) async throws -> T {
    return try await TestEnvironment.withScratchDatabase(prefix: "queue") { url in
        return try await TestEnvironment.withDatabase(url: url) { db in
            try await Migrator.migrate([try MigrationSet.queue()], database: db, logger: TestEnvironment.logger)
            return try await body(JobQueue(database: db, logger: TestEnvironment.logger), db)
        }
    }
}

func count(_ table: String, _ db: Database) async throws -> Int {
    try await db.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: TestEnvironment.logger)[0].decode(Int.self)
}

@Suite struct JobQueueTests {
    let logger = TestEnvironment.logger

    @Test func enqueueFollowsTheCallersTransaction() async throws {
        try await withQueue { queue, db in
            struct Rollback: Error {}
            await #expect(throws: Rollback.self) {
                try await db.withTransaction(logger: logger) { connection in
                    try await JobQueue.enqueue([try NewJob(queue: "email", kind: "welcome", payload: Empty())], on: connection, logger: logger)
                    throw Rollback()
                }
            }
            #expect(try await count("queue.jobs", db) == 0)
            let ids = try await db.withTransaction(logger: logger) { connection in
                try await JobQueue.enqueue([try NewJob(queue: "email", kind: "welcome", payload: Empty())], on: connection, logger: logger)
            }
            #expect(ids.count == 1)
            #expect(try await count("queue.jobs", db) == 1)
        }
    }

    @Test func uniqueKeyEnqueuesOnceWhileWaiting() async throws {
        try await withQueue { queue, db in
            let job = try NewJob(queue: "email", kind: "verify", payload: Empty(), uniqueKey: "verify:u1")
            #expect(try await queue.enqueue([job]).count == 1)
            #expect(try await queue.enqueue([job]).isEmpty)
            let claimed = try await queue.claim(queues: ["email"], limit: 10, worker: "w", lease: .seconds(30))
            try await queue.complete(claimed, worker: "w")
            #expect(try await queue.enqueue([job]).count == 1)
        }
    }

    @Test func claimsInPriorityOrderAndRespectsRunAt() async throws {
        try await withQueue { queue, _ in
            try await queue.enqueue([
                try NewJob(queue: "q", kind: "k", payload: Numbered(n: 1), priority: 5),
                try NewJob(queue: "q", kind: "k", payload: Numbered(n: 2), priority: 0),
                try NewJob(queue: "q", kind: "k", payload: Numbered(n: 3), priority: 0, runAfter: .seconds(60)),
                try NewJob(queue: "other", kind: "k", payload: Numbered(n: 4)),
            ])
            let first = try await queue.claim(queues: ["q"], limit: 1, worker: "w", lease: .seconds(30))
            #expect(try first.map { try $0.decodePayload(as: Numbered.self).n } == [2])
            let rest = try await queue.claim(queues: ["q"], limit: 10, worker: "w", lease: .seconds(30))
            #expect(try rest.map { try $0.decodePayload(as: Numbered.self).n } == [1])
        }
    }

    @Test func concurrentClaimersNeverShareAJob() async throws {
        try await withQueue { queue, _ in
            let jobs = try (0..<600).map { try NewJob(queue: "bench", kind: "noop", payload: Numbered(n: $0)) }
            try await queue.enqueue(jobs)
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in ["a", "b", "c"] {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await queue.claim(queues: ["bench"], limit: 25, worker: worker, lease: .seconds(30))
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                var all: [[Int64]] = []
                for try await ids in group { all.append(ids) }
                return all
            }
            let flat = claims.flatMap { $0 }
            #expect(flat.count == 600)
            #expect(Set(flat).count == 600)
        }
    }

    @Test func retryThenSuccessKeepsTheErrorHistory() async throws {
        try await withQueue { queue, db in
            try await queue.enqueue([try NewJob(queue: "q", kind: "k", payload: Empty(), maxAttempts: 3)])
            let first = try await queue.claim(queues: ["q"], limit: 1, worker: "w", lease: .seconds(30))
            #expect(first.first?.attempt == 1)
            #expect(try await queue.fail([(first[0], JobFailure("smtp 451"), .seconds(60))], worker: "w").count == 1)
            // Backing off: not claimable yet.
            #expect(try await queue.claim(queues: ["q"], limit: 1, worker: "w", lease: .seconds(30)).isEmpty)
            try await db.query("UPDATE queue.jobs SET run_at = now()", logger: logger)
            let second = try await queue.claim(queues: ["q"], limit: 1, worker: "w", lease: .seconds(30))
            #expect(second.first?.attempt == 2)
            let errors = try await db.query("SELECT errors::text FROM queue.jobs", logger: logger)[0].decode(String.self)
            #expect(errors.contains("smtp 451"))
            #expect(try await queue.complete(second, worker: "w") == [second[0].id])
            #expect(try await count("queue.jobs", db) == 0)
        }
    }

    @Test func lastAttemptAndPermanentFailuresDieAndCanBeRetried() async throws {
        try await withQueue { queue, db in
            try await queue.enqueue([
                try NewJob(queue: "q", kind: "retry", payload: Empty(), maxAttempts: 2),
                try NewJob(queue: "q", kind: "permanent", payload: Empty(), maxAttempts: 5),
            ])
            for round in 1...2 {
                let claimed = try await queue.claim(queues: ["q"], limit: 10, worker: "w", lease: .seconds(30))
                let failures = claimed.map { job in
                    (job, JobFailure("failure \(round) of \(job.kind)", permanent: job.kind == "permanent"), Duration.zero)
                }
                try await queue.fail(failures, worker: "w")
            }
            #expect(try await count("queue.jobs", db) == 0)
            let dead = try await queue.deadJobs()
            #expect(Set(dead.map(\.kind)) == ["retry", "permanent"])
            let retryJob = try #require(dead.first { $0.kind == "retry" })
            #expect(retryJob.attempts == 2)
            #expect(retryJob.errors.contains("failure 1 of retry") && retryJob.errors.contains("failure 2 of retry"))
            #expect(try #require(dead.first { $0.kind == "permanent" }).attempts == 1)

            #expect(try await queue.retryDead(ids: [retryJob.id]) == [retryJob.id])
            let again = try await queue.claim(queues: ["q"], limit: 10, worker: "w", lease: .seconds(30))
            #expect(again.map(\.id) == [retryJob.id])
            #expect(again.first?.attempt == 1)
            // The history goes on through the retry: both failures, then the mark of the retry.
            try await queue.fail([(again[0], JobFailure("failure after the retry"), .zero)], worker: "w")
            let history = try await db.query("SELECT errors::text FROM queue.jobs WHERE id = \(retryJob.id)", logger: TestEnvironment.logger)
                .first?.decode(String.self) ?? ""
            let entries = (try JSONSerialization.jsonObject(with: Data(history.utf8)) as? [[String: Any]]) ?? []
            #expect(entries.map { $0["attempt"] as? Int } == [1, 2, nil, 1], "\(history)")
            #expect(entries[2]["afterAttempts"] as? Int == 2 && entries[2]["retried"] != nil, "\(history)")
            let stats = try await queue.stats()
            #expect(stats.first { $0.queue == "q" }?.dead == 1)
            let permanent = try #require(dead.first { $0.kind == "permanent" })
            #expect(try await queue.discardDead(ids: [permanent.id]) == [permanent.id])
            #expect(try await count("queue.dead_jobs", db) == 0)
        }
    }

    /// A failure through no fault of the job's (the media volume full) gives its attempt back:
    /// even on the last attempt the job waits and runs again rather than dying.
    @Test func aFailureThatSpendsNoAttemptNeverKillsTheJob() async throws {
        try await withQueue { queue, db in
            try await queue.enqueue([try NewJob(queue: "q", kind: "k", payload: Empty(), maxAttempts: 1)])
            for _ in 0..<3 {
                let claimed = try await queue.claim(queues: ["q"], limit: 1, worker: "w", lease: .seconds(30))
                #expect(claimed.first?.attempt == 1 && claimed.first?.isLastAttempt == true)
                let failure = JobFailure.notNow("the media volume is full", retryIn: .seconds(30))
                #expect(!failure.kills(claimed[0]))
                #expect(try await queue.fail([(claimed[0], failure, failure.retryIn!)], worker: "w").count == 1)
                // Waiting out its delay, not dead.
                #expect(try await queue.claim(queues: ["q"], limit: 1, worker: "w", lease: .seconds(30)).isEmpty)
                try await db.query("UPDATE queue.jobs SET run_at = now()", logger: logger)
            }
            #expect(try await count("queue.dead_jobs", db) == 0)
            let errors = try await db.query("SELECT errors::text FROM queue.jobs", logger: logger)[0].decode(String.self)
            #expect(errors.contains("the media volume is full"))
        }
    }

    @Test func aLateWorkerCannotOverwriteTheNextAttempt() async throws {
        try await withQueue { queue, db in
            try await queue.enqueue([try NewJob(queue: "q", kind: "k", payload: Empty())])
            let byA = try await queue.claim(queues: ["q"], limit: 1, worker: "a", lease: .milliseconds(100))
            // Nothing to rescue until the lease runs out, then exactly that job.
            #expect(try await eventually { try await queue.rescueExpiredLeases().count == 1 })
            let byB = try await queue.claim(queues: ["q"], limit: 1, worker: "b", lease: .seconds(30))
            #expect(byB.first?.attempt == 2)
            // A wakes up and reports: neither its success nor its failure counts.
            #expect(try await queue.complete(byA, worker: "a").isEmpty)
            #expect(try await queue.fail([(byA[0], JobFailure("late"), .zero)], worker: "a").isEmpty)
            #expect(try await queue.extendLeases(byA, worker: "a", lease: .seconds(30)).isEmpty)
            #expect(try await queue.complete(byB, worker: "b") == [byB[0].id])
            #expect(try await count("queue.jobs", db) == 0)
        }
    }

    @Test func anExpiredLastAttemptGoesToTheDeadJobs() async throws {
        try await withQueue { queue, db in
            try await queue.enqueue([try NewJob(queue: "q", kind: "k", payload: Empty(), maxAttempts: 1)])
            let claimed = try await queue.claim(queues: ["q"], limit: 1, worker: "a", lease: .milliseconds(50))
            let rescue = try await eventuallyValue { () -> JobQueue.Rescue? in
                let rescue = try await queue.rescueExpiredLeases()
                return rescue.count > 0 ? rescue : nil
            }
            #expect(rescue?.count == 1)
            // The buried job is reported, so its handler can hear of it.
            #expect(rescue?.buried.map(\.id) == claimed.map(\.id))
            #expect(rescue?.buried.first?.attempt == 1 && rescue?.buried.first?.kind == "k")
            #expect(try await count("queue.jobs", db) == 0)
            #expect(try await queue.deadJobs().first?.errors.contains("lease expired") == true)
        }
    }
}

/// What `Workers jobs dead --json` prints: real JSON values, links redacted.
@Suite struct DeadJobsOutputTests {
    @Test func aJSONLineHoldsJSONNotStringsOfIt() throws {
        let job = DeadJob(id: 7, queue: "email", kind: EmailJob.kind,
                          payload: EmailJob.redacted(payload: #"{"template":"password_reset","to":"a@example.com","nickname":"a","link":"http://x/reset-password?token=live"}"#),
                          attempts: 18, errors: #"[{"attempt":1,"error":"451 try later"}]"#, diedAt: Date(timeIntervalSince1970: 1_800_000_000))
        let line = try Jobs.Dead.jsonLine(job)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["payload"] as? [String: Any])?["to"] as? String == "a@example.com")
        #expect((object["errors"] as? [[String: Any]])?.first?["error"] as? String == "451 try later")
        #expect(object["diedAt"] as? String == "2027-01-15T08:00:00Z")
        #expect(!line.contains("token=live"), "\(line)")
    }
}
