import ArgumentParser
import Configuration
import Foundation
import Logging
import Shared

/// `Workers jobs ...`: what operators do with the queue.
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the queue and retry or discard dead jobs.",
        subcommands: [Stats.self, Dead.self, Retry.self, Discard.self])

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs per queue and state.")
        func run() async throws {
            let stats = try await withJobQueue { try await $0.stats() }
            print("queue        available  scheduled  running  dead  oldest_wait_s")
            for s in stats {
                print(s.queue.padding(toLength: 12, withPad: " ", startingAt: 0),
                      String(format: "%10d %10d %8d %5d %14.1f", s.available, s.scheduled, s.running, s.dead, s.oldestAvailableAge))
            }
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dead jobs, newest first: a table, or with --json one JSON object per line with the error history.")
        @Option(help: "Only this queue.") var queue: String?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "One JSON object per job (payload and errors as JSON), for jq.") var json = false
        func run() async throws {
            let dead = try await withJobQueue { try await $0.deadJobs(queue: queue, limit: limit) }.map { job in
                var job = job
                // A link in a mail job is a live token: never shown.
                if job.kind == EmailJob.kind { job.payload = EmailJob.redacted(payload: job.payload) }
                return job
            }
            if dead.isEmpty {
                if !json { print("no dead jobs") }
                return
            }
            if json {
                for job in dead { print(try Self.jsonLine(job)) }
                return
            }
            let dateFormat = Date.ISO8601FormatStyle()
            print("id        queue      kind              attempts  died_at               last error")
            for job in dead {
                let history = (try? JSONSerialization.jsonObject(with: Data(job.errors.utf8))) as? [[String: Any]] ?? []
                let last = history.last { $0["error"] != nil }?["error"] as? String ?? ""
                print(String(job.id).padding(toLength: 9, withPad: " ", startingAt: 0),
                      job.queue.padding(toLength: 10, withPad: " ", startingAt: 0),
                      job.kind.padding(toLength: 17, withPad: " ", startingAt: 0),
                      String(job.attempts).padding(toLength: 9, withPad: " ", startingAt: 0),
                      job.diedAt.formatted(dateFormat).padding(toLength: 21, withPad: " ", startingAt: 0),
                      String(last.replacingOccurrences(of: "\n", with: " ").prefix(80)))
            }
        }

        /// The job with its payload and error history as JSON values, not strings holding JSON.
        static func jsonLine(_ job: DeadJob) throws -> String {
            func parsed(_ text: String) -> Any { (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text }
            let object: [String: Any] = [
                "id": job.id, "queue": job.queue, "kind": job.kind, "attempts": job.attempts,
                "diedAt": job.diedAt.formatted(Date.ISO8601FormatStyle()), "payload": parsed(job.payload), "errors": parsed(job.errors),
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put dead jobs back in line.")
        @Argument(help: "Ids of dead jobs.") var ids: [Int64] = []
        @Flag(help: "Every dead job.") var all = false
        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("give job ids or --all") }
        }
        func run() async throws {
            let retried = try await withJobQueue { try await $0.retryDead(ids: all ? nil : ids) }
            print("retried \(retried.count): \(retried.map(String.init).joined(separator: " "))")
            let skipped = Set(ids).subtracting(retried)
            if !all && !skipped.isEmpty {
                print("not retried (not dead, or a job with the same unique key is waiting): \(skipped.sorted().map(String.init).joined(separator: " "))")
                throw ExitCode(1)
            }
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead jobs for good.")
        @Argument(help: "Ids of dead jobs.") var ids: [Int64]
        func run() async throws {
            let discarded = try await withJobQueue { try await $0.discardDead(ids: ids) }
            print("discarded \(discarded.count): \(discarded.map(String.init).joined(separator: " "))")
            if discarded.count != ids.count { throw ExitCode(1) }
        }
    }
}

/// Runs `body` with a queue on the configured database.
func withJobQueue<T: Sendable>(_ body: @Sendable (JobQueue) async throws -> T) async throws -> T {
    let access = OperatorAccess(name: "workers-cli")
    return try await access.withDatabase { try await body(JobQueue(database: $0, logger: access.logger)) }
}
