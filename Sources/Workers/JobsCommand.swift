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
        static let configuration = CommandConfiguration(abstract: "Dead jobs with their error history, newest first.")
        @Option(help: "Only this queue.") var queue: String?
        @Option(help: "At most this many.") var limit = 50
        func run() async throws {
            let dead = try await withJobQueue { try await $0.deadJobs(queue: queue, limit: limit) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            for var job in dead {
                if job.kind == EmailJob.kind { job.payload = EmailJob.redacted(payload: job.payload) }
                print(String(decoding: try encoder.encode(job), as: UTF8.self))
            }
            if dead.isEmpty { print("no dead jobs") }
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
    let config = ServiceConfig(name: "workers-cli", defaultPort: 0, reader: .environment())
    var logger = Logger(label: "workers-cli")
    // Errors reach the operator as thrown errors; the pool's own start-up chatter is not for them.
    logger.logLevel = .error
    let database = try Database(
        url: config.databaseURL, applicationName: "workers-cli", maxConnections: 2, acquireTimeout: config.databaseAcquireTimeout, logger: logger)
    try await database.checkReachable(logger: logger)
    return try await database.whileRunning { try await body(JobQueue(database: $0, logger: logger)) }
}
