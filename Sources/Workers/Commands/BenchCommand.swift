import ArgumentParser
import Foundation
import Shared

/// `Workers bench enqueue`: no-op jobs on the `bench` queue, for loadtest/queue-bench.sh.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load generators for the queue benchmark.", subcommands: [Enqueue.self])

    struct Enqueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue no-op jobs on the bench queue and print the rate.")
        @Option(help: "Jobs in all.") var count = 10_000
        @Option(help: "Jobs per transaction.") var batch = 1
        @Option(help: "Concurrent enqueuers.") var concurrency = 4
        @Option(help: "Pause between transactions of one enqueuer, in milliseconds (0 = none).") var intervalMs = 0

        func validate() throws {
            guard count > 0, batch > 0, concurrency > 0, intervalMs >= 0 else { throw ValidationError("counts must be positive") }
        }

        func run() async throws {
            let (count, batch, concurrency, interval) = (count, batch, concurrency, intervalMs)
            let start = ContinuousClock.now
            try await withJobQueue { queue in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<concurrency {
                        group.addTask {
                            var n = worker * batch
                            while n < count {
                                let jobs = try (n..<min(n + batch, count)).map { _ in
                                    try NewJob(queue: "bench", kind: "noop", payload: [String: String]())
                                }
                                try await queue.enqueue(jobs)
                                n += concurrency * batch
                                if interval > 0 { try await Task.sleep(for: .milliseconds(interval)) }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let seconds = (ContinuousClock.now - start).seconds
            print(String(format: "enqueued %d jobs in %.2f s: %.0f jobs/s (batch %d, %d enqueuers)", count, seconds, Double(count) / seconds, batch, concurrency))
        }
    }
}
