import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing
import TestSupport
@testable import Shared
@testable import Workers

/// Records every run; jobs of kind `flaky` fail on their first attempt, `slow` ones take a while.
struct RecordingHandler: JobHandler {
    let runs = NIOLockedValueBox<[Int64: Int]>([:])

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        runs.withLockedValue { $0[job.id, default: 0] += 1 }
        if job.kind == "flaky" && job.attempt == 1 { throw JobFailure("first attempt fails") }
        if job.kind == "slow" { try await Task.sleep(for: .milliseconds(700)) }
    }
}

@Suite struct JobRunnerTests {
    func runner(_ queue: JobQueue, _ handler: RecordingHandler, concurrency: Int = 8) -> JobRunner {
        var handlers = JobHandlers()
        for kind in ["ok", "flaky", "slow"] { handlers.register(kind, handler) }
        var settings = RunnerSettings(queues: ["q"], concurrency: concurrency)
        settings.backoff = Backoff(base: .milliseconds(10), cap: .milliseconds(50))
        return JobRunner(settings: settings, queue: queue, handlers: handlers, logger: TestEnvironment.logger)
    }

    /// Runs the runner until `done` says so (or 20 s pass), then shuts it down gracefully.
    func run(_ runner: JobRunner, until done: @escaping @Sendable () async throws -> Bool) async throws {
        runner.begin()
        let group = ServiceGroup(configuration: .init(services: [runner], logger: TestEnvironment.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while try await !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func processesRetriesAndDrains() async throws {
        try await withQueue { queue, db in
            let handler = RecordingHandler()
            let jobs = try (0..<300).map { try NewJob(queue: "q", kind: $0 % 10 == 0 ? "flaky" : "ok", payload: Numbered(n: $0)) }
                + [try NewJob(queue: "q", kind: "unknown", payload: Empty())]
            try await queue.enqueue(jobs)
            try await run(runner(queue, handler)) { try await count("queue.jobs", db) == 0 }
            #expect(try await count("queue.jobs", db) == 0)
            let runs = handler.runs.withLockedValue { $0 }
            #expect(runs.count == 300)
            #expect(runs.values.filter { $0 == 2 }.count == 30)  // each flaky job ran twice
            #expect(runs.values.allSatisfy { $0 <= 2 })
            let dead = try await queue.deadJobs()
            #expect(dead.map(\.kind) == ["unknown"])
            #expect(dead.first?.errors.contains("no handler") == true)
        }
    }

    @Test func gracefulShutdownLetsRunningJobsFinish() async throws {
        try await withQueue { queue, db in
            let handler = RecordingHandler()
            try await queue.enqueue(try (0..<4).map { _ in try NewJob(queue: "q", kind: "slow", payload: Empty()) })
            // Shut down as soon as the jobs are running.
            try await run(runner(queue, handler)) { handler.runs.withLockedValue { $0.count } == 4 }
            #expect(try await count("queue.jobs", db) == 0)
            #expect(handler.runs.withLockedValue { $0.values.allSatisfy { $0 == 1 } })
        }
    }

    @Test func aFreedSlotClaimsTheNextJobWithoutWaitingForThePoll() async throws {
        try await withQueue { queue, db in
            let handler = RecordingHandler()
            // Enqueued before the runner listens: only freed slots can bring the rest in.
            try await queue.enqueue(try (0..<40).map { try NewJob(queue: "q", kind: "ok", payload: Numbered(n: $0)) })
            var settings = RunnerSettings(queues: ["q"], concurrency: 2)
            settings.pollInterval = .seconds(60)
            var handlers = JobHandlers()
            handlers.register("ok", handler)
            let runner = JobRunner(settings: settings, queue: queue, handlers: handlers, logger: TestEnvironment.logger)
            let start = ContinuousClock.now
            try await run(runner) { try await count("queue.jobs", db) == 0 }
            // A third of the poll interval (a busy machine running the whole suite took 11 s).
            #expect(ContinuousClock.now - start < .seconds(20))
            #expect(handler.runs.withLockedValue { $0.count } == 40)
        }
    }

    /// Another worker took the job over (our lease ran out while we were stalled): the next
    /// heartbeat stops our run of it, and its outcome is not recorded.
    @Test func aJobWhoseLeaseWasLostIsStopped() async throws {
        try await withQueue { queue, db in
            let stopped = NIOLockedValueBox(false)
            struct Stalling: JobHandler {
                let stopped: NIOLockedValueBox<Bool>
                func handle(_ job: ClaimedJob, logger: Logger) async throws {
                    do { try await Task.sleep(for: .seconds(30)) } catch { stopped.withLockedValue { $0 = true }; throw error }
                }
            }
            var handlers = JobHandlers()
            handlers.register("stall", Stalling(stopped: stopped))
            var settings = RunnerSettings(queues: ["q"], concurrency: 1)
            settings.lease = .milliseconds(600)  // a heartbeat every 200 ms
            settings.rescueInterval = .seconds(60)
            let runner = JobRunner(settings: settings, queue: queue, handlers: handlers, logger: TestEnvironment.logger)
            try await queue.enqueue([try NewJob(queue: "q", kind: "stall", payload: Empty())])
            let stolen = NIOLockedValueBox(false)
            try await run(runner) {
                if !stolen.withLockedValue({ $0 }) {
                    let taken = try await db.query("""
                        UPDATE queue.jobs SET locked_by = 'another-worker' WHERE state = 'running' RETURNING id
                        """, logger: TestEnvironment.logger)
                    if !taken.isEmpty { stolen.withLockedValue { $0 = true } }
                    return false
                }
                return stopped.withLockedValue { $0 }
            }
            #expect(stopped.withLockedValue { $0 }, "the handler was never stopped")
            // The other worker's hold is untouched: no outcome of ours was recorded over it.
            let holder = try await db.query("SELECT locked_by, state FROM queue.jobs", logger: TestEnvironment.logger)
                .map { try $0.decode((String?, String).self) }
            #expect(holder.count == 1 && holder.first?.0 == "another-worker" && holder.first?.1 == "running")
        }
    }

    /// Past the shutdown grace, a handler that cannot be interrupted (a send in libcurl) is
    /// waited for before its job is given back: released while it still ran, the job could be
    /// claimed and run again at the same time.
    @Test func aJobIsGivenBackOnlyAfterItsHandlerReturned() async throws {
        try await withQueue { queue, db in
            let seenAtReturn = NIOLockedValueBox<String?>(nil)
            struct Uninterruptible: JobHandler {
                let db: Database
                let seen: NIOLockedValueBox<String?>
                func handle(_ job: ClaimedJob, logger: Logger) async throws {
                    // Runs until shutdown cancels it past the grace, then goes on a while as a
                    // blocking call on another thread would, deaf to the cancellation.
                    while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { done.resume() }
                    }
                    // Read outside this (cancelled) task, as the next claimer would see it.
                    let state = try await Task.detached { [db] in
                        try await db.query("SELECT state FROM queue.jobs WHERE id = \(job.id)", logger: logger).first?.decode(String.self)
                    }.value
                    seen.withLockedValue { $0 = state ?? "gone" }
                    throw CancellationError()
                }
            }
            var handlers = JobHandlers()
            handlers.register("blocking", Uninterruptible(db: db, seen: seenAtReturn))
            var settings = RunnerSettings(queues: ["q"], concurrency: 1)
            settings.shutdownGrace = .milliseconds(200)
            let runner = JobRunner(settings: settings, queue: queue, handlers: handlers, logger: TestEnvironment.logger)
            try await queue.enqueue([try NewJob(queue: "q", kind: "blocking", payload: Empty())])
            try await run(runner) {
                try await db.query("SELECT 1 FROM queue.jobs WHERE state = 'running'", logger: TestEnvironment.logger).count == 1
            }
            #expect(seenAtReturn.withLockedValue { $0 } == "running", "the job was released while its handler still ran")
            // Given back afterwards, without counting the attempt.
            let after = try await db.query("SELECT state, attempts FROM queue.jobs", logger: TestEnvironment.logger)
                .map { try $0.decode((String, Int).self) }
            #expect(after.count == 1 && after.first?.0 == "available" && after.first?.1 == 0, "\(after)")
        }
    }

    @Test func cancellationEndsTheRunnerAtOnce() async throws {
        // As when another service of the process fails and the group cancels the rest.
        try await withQueue { queue, _ in
            let runner = runner(queue, RecordingHandler())
            runner.begin()
            let ended = NIOLockedValueBox(false)
            let running = Task {
                try? await runner.run()
                ended.withLockedValue { $0 = true }
            }
            try await Task.sleep(for: .milliseconds(300))
            running.cancel()
            // Polled, not awaited: a runner that never ends must fail the test, not hang it.
            for _ in 0..<250 where !ended.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
            #expect(ended.withLockedValue { $0 })
        }
    }

    @Test func wakesOnNotificationWithoutWaitingForThePoll() async throws {
        try await withQueue { queue, db in
            let handler = RecordingHandler()
            var settings = RunnerSettings(queues: ["q"], concurrency: 4)
            settings.pollInterval = .seconds(30)
            var handlers = JobHandlers()
            handlers.register("ok", handler)
            let runner = JobRunner(settings: settings, queue: queue, handlers: handlers, logger: TestEnvironment.logger)
            let enqueuedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
            try await run(runner) {
                if enqueuedAt.withLockedValue({ $0 }) == nil {
                    // Until it has subscribed (a busy machine may take longer than any fixed sleep).
                    for _ in 0..<500 {
                        let listening = try await db.query("""
                            SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                            """, logger: TestEnvironment.logger)[0].decode(Int.self)
                        if listening > 0 { break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    try await Task.sleep(for: .milliseconds(100))  // and gone idle
                    enqueuedAt.withLockedValue { $0 = .now }
                    try await queue.enqueue([try NewJob(queue: "q", kind: "ok", payload: Empty())])
                }
                return try await count("queue.jobs", db) == 0
            }
            let latency = ContinuousClock.now - enqueuedAt.withLockedValue { $0 }!
            #expect(latency < .seconds(5))
            #expect(handler.runs.withLockedValue { $0.count } == 1)
        }
    }
}
