import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle
import Shared

struct RunnerSettings: Sendable {
    var queues: [String]
    var concurrency: Int
    /// How long a claimed job is ours without a heartbeat.
    var lease: Duration = .seconds(30)
    /// Fallback when no notification arrives (a lost connection, a pooler in between).
    var pollInterval: Duration = .seconds(1)
    var rescueInterval: Duration = .seconds(5)
    /// On SIGTERM, how long running jobs may take before they are cancelled and given back.
    /// Handlers that cannot be interrupted (an SMTP send) must time out within it.
    var shutdownGrace: Duration = .seconds(20)
    var backoff = Backoff()
}

/// Claims jobs of its queues in batches sized to its free slots, runs them concurrently, records
/// outcomes in batches, keeps leases alive and rescues the leases of dead workers.
final class JobRunner: Service, Sendable {
    let settings: RunnerSettings
    let queue: JobQueue
    let handlers: JobHandlers
    /// What the handlers report of running jobs, sent with each heartbeat.
    let progress: JobProgress
    let workerID: String
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let leaseLost = Counter(label: "jobs_lease_lost_total")
    private let rescues = Counter(label: "jobs_lease_rescues_total")
    private let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    private let (flushes, flushNow) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    private let (starts, startSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    private struct State {
        var running: [Int64: ClaimedJob] = [:]
        /// The handler tasks of running jobs, to stop one whose lease was lost.
        var handlers: [Int64: Task<Void, any Error>] = [:]
        /// Jobs whose lease another worker took: their outcome is not ours to record.
        var lost: Set<Int64> = []
        /// Jobs cancelled by shutdown, to give back once their handlers have returned.
        var giveBack: [ClaimedJob] = []
        var done: [ClaimedJob] = []
        var failed: [(job: ClaimedJob, failure: JobFailure, retryIn: Duration)] = []
        var stopping = false
        /// The last claim was cut short by the free slots, so jobs may be waiting for one.
        var waitingForSlot = false
    }

    init(settings: RunnerSettings, queue: JobQueue, handlers: JobHandlers, progress: JobProgress = JobProgress(), logger: Logger) {
        self.settings = settings
        self.queue = queue
        self.handlers = handlers
        self.progress = progress
        self.workerID = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        var logger = logger
        logger[metadataKey: "worker"] = .string(workerID)
        self.logger = logger
    }

    /// Lets `run` start claiming: the application calls it once the schemas are migrated.
    func begin() {
        startSignal.yield()
        startSignal.finish()
    }

    func run() async throws {
        // Wait for the migrations (or for shutdown before they finished).
        let began = await cancelWhenGracefulShutdown { await self.starts.first { _ in true } != nil }
        guard began else { return }
        logger.info("worker started", metadata: ["queues": .string(settings.queues.joined(separator: ",")), "concurrency": "\(settings.concurrency)"])
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.listen() }
            // Until the jobs have finished, not until graceful shutdown: leases must stay alive.
            background.addTask { await self.every("heartbeat", self.settings.lease / 3) { try await self.heartbeat() } }
            background.addTask { await self.every("rescuing expired leases", self.settings.rescueInterval) { try await self.rescue() } }
            background.addTask { await self.every("recording queue depth", .seconds(5)) { try await self.recordDepth() } }
            background.addTask { await self.flushLoop() }

            background.addTask { await self.every("polling", self.settings.pollInterval) { self.wake.yield() } }

            // Discarding: a finished job's task is freed at once. A plain task group keeps every
            // child until `next()` collects it, which this loop never calls, so the Workers' memory
            // grew with each job they ran.
            await withDiscardingTaskGroup { jobs in
                await withGracefulShutdownHandler {
                    await self.claimLoop(jobs: &jobs)
                } onGracefulShutdown: {
                    self.state.withLockedValue { $0.stopping = true }
                    self.wake.yield()
                }
                // No more claims; running jobs may finish within the grace period.
                let deadline = ContinuousClock.now + settings.shutdownGrace
                while state.withLockedValue({ !$0.running.isEmpty }), ContinuousClock.now < deadline, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                let unfinished = state.withLockedValue { $0.running.count - $0.done.count - $0.failed.count }
                if unfinished > 0 {
                    logger.warning("jobs still running at shutdown; cancelling and giving them back", metadata: ["count": "\(unfinished)"])
                    jobs.cancelAll()
                }
            }
            // Released only once their handlers have returned (the group above waits for every
            // job): a job given back while its handler still runs (a mail being sent) would run twice.
            let giveBack = state.withLockedValue { state in
                defer { state.giveBack = [] }
                return state.giveBack
            }
            if !giveBack.isEmpty { try? await queue.release(giveBack, worker: workerID) }
            await flush()
            background.cancelAll()
        }
        logger.info("worker stopped")
    }

    // MARK: Claiming and running

    private func claimLoop(jobs: inout DiscardingTaskGroup) async {
        var wakeIterator = wakeups.makeAsyncIterator()
        // Cancelled (another service failed), the loop ends at once: the wakeups end too.
        while !state.withLockedValue({ $0.stopping }), !Task.isCancelled {
            // Until the claim shows otherwise, a freed slot must wake us.
            let free = state.withLockedValue { state in
                state.waitingForSlot = true
                return settings.concurrency - state.running.count
            }
            var claimed: [ClaimedJob] = []
            if free > 0 {
                do {
                    claimed = try await queue.claim(queues: settings.queues, limit: free, worker: workerID, lease: settings.lease)
                } catch {
                    logger.error("claim failed", metadata: ["error": "\(error.reason)"])
                }
            }
            state.withLockedValue { state in
                for job in claimed { state.running[job.id] = job }
                state.waitingForSlot = claimed.count == free
            }
            let now = Date()
            for job in claimed {
                Timer(label: "jobs_enqueue_to_start_seconds", dimensions: [("queue", job.queue)])
                    .recordNanoseconds(Int64(max(0, now.timeIntervalSince(job.runAt)) * 1e9))
                jobs.addTask { await self.execute(job) }
            }
            if free == 0 || claimed.count < free {
                // The queues are drained (or every slot is busy): claiming again now would find
                // nothing. Sleep until a notification, a freed slot, or the poll tick.
                guard await wakeIterator.next() != nil else { return }
            }
        }
    }

    private func execute(_ job: ClaimedJob) async {
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(job.id)"
        logger[metadataKey: "job_kind"] = .string(job.kind)
        let start = ContinuousClock.now
        let outcome: String
        do {
            guard let handler = handlers.handler(for: job.kind) else {
                throw JobFailure("no handler for job kind \(job.kind)", permanent: true)
            }
            // A task of its own, so the heartbeat can stop this job alone when its lease is lost.
            let task = Task { try await handler.handle(job, logger: logger) }
            state.withLockedValue { $0.handlers[job.id] = task }
            defer { state.withLockedValue { $0.handlers[job.id] = nil } }
            try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
            state.withLockedValue { $0.done.append(job) }
            outcome = "completed"
        } catch where isSetAside(job) {
            return
        } catch {
            let failure = error as? JobFailure ?? JobFailure(String(describing: error))
            let dies = failure.kills(job)
            logger.log(level: dies ? .error : .warning, "job failed", metadata: [
                "attempt": "\(job.attempt)", "error": .string(failure.message), "dead": "\(dies)",
                "attempt_counted": "\(failure.spendsAttempt)"])
            state.withLockedValue { $0.failed.append((job, failure, failure.retryIn ?? settings.backoff.delay(afterAttempt: job.attempt))) }
            outcome = dies ? "dead" : failure.spendsAttempt ? "retried" : "postponed"
        }
        let dimensions = [("queue", job.queue), ("kind", job.kind)]
        Counter(label: "jobs_processed_total", dimensions: dimensions + [("outcome", outcome)]).increment()
        Timer(label: "jobs_duration_seconds", dimensions: dimensions).recordNanoseconds((ContinuousClock.now - start).nanoseconds)
        Recorder(label: "jobs_attempts", dimensions: dimensions).record(Int(job.attempt))
        flushNow.yield()
    }

    /// A job stopped because its lease was lost, or cancelled by shutdown: no outcome of ours is
    /// recorded (the new holder's wins; a given-back job runs again without a counted attempt).
    private func isSetAside(_ job: ClaimedJob) -> Bool {
        state.withLockedValue { state in
            if state.lost.remove(job.id) != nil {
                state.running[job.id] = nil
                return true
            }
            if state.stopping, Task.isCancelled {
                state.giveBack.append(job)
                state.running[job.id] = nil
                return true
            }
            return false
        }
    }

    // MARK: Recording outcomes

    /// One recording round trip at a time: jobs that finish while one is in flight share the next.
    private func flushLoop() async {
        for await _ in flushes {
            await flush()
        }
    }

    /// Records finished and failed jobs in one statement each, then frees their slots.
    private func flush() async {
        let (done, failed) = state.withLockedValue { state in
            defer { state.done = []; state.failed = [] }
            return (state.done, state.failed)
        }
        guard !done.isEmpty || !failed.isEmpty else { return }
        do {
            let completed = try await queue.complete(done, worker: workerID)
            let recorded = try await queue.fail(failed, worker: workerID)
            let lost = done.count - completed.count + failed.count - recorded.count
            if lost > 0 {
                // Our lease ran out and another worker took the job over; its outcome wins.
                logger.warning("outcomes for jobs no longer held were dropped", metadata: ["count": "\(lost)"])
            }
        } catch {
            logger.error("recording job outcomes failed; their leases will expire and they will run again", metadata: ["error": "\(error.reason)"])
        }
        progress.forget(done.map(\.id) + failed.map(\.job.id))
        let slotAwaited = state.withLockedValue { state in
            for job in done { state.running[job.id] = nil }
            for entry in failed { state.running[entry.job.id] = nil }
            return state.waitingForSlot
        }
        if slotAwaited { wake.yield() }
    }

    // MARK: Background duties

    private func listen() async {
        while !Task.isCancelled {
            do {
                // Held for as long as the process runs: no lease limit.
                try await queue.database.withConnection(unbounded: true) { connection in
                    try await connection.listen(on: JobQueue.channel) { notifications in
                        for try await notification in notifications where settings.queues.contains(notification.payload) {
                            wake.yield()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("LISTEN connection lost; polling until it is back", metadata: ["error": "\(error.reason)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Extends the leases of running jobs, and stops those whose lease another worker now holds:
    /// they would otherwise run twice at once (two mails, two encodes).
    private func heartbeat() async throws {
        let held = state.withLockedValue { Array($0.running.values) }
        let extended = try await queue.extendLeases(held, worker: workerID, lease: settings.lease, progress: progress.snapshot)
        let missing = held.filter { !extended.contains($0.id) }
        guard !missing.isEmpty else { return }
        let stillOurs = try await queue.stillHeld(missing, worker: workerID)
        let lost = missing.filter { !stillOurs.contains($0.id) }
        let stopped = state.withLockedValue { state in
            lost.compactMap { job -> Int64? in
                // Finished meanwhile (its outcome is waiting to be recorded): nothing to stop.
                guard let task = state.handlers[job.id] else { return nil }
                state.lost.insert(job.id)
                task.cancel()
                return job.id
            }
        }
        if !stopped.isEmpty {
            leaseLost.increment(by: stopped.count)
            logger.warning("lost the lease of running jobs; stopping them", metadata: ["jobs": "\(stopped)"])
        }
    }

    private func rescue() async throws {
        let rescued = try await queue.rescueExpiredLeases()
        if rescued.count > 0 {
            rescues.increment(by: rescued.count)
            logger.warning("rescued jobs whose lease expired", metadata: ["count": "\(rescued.count)", "dead": "\(rescued.buried.count)"])
        }
        // A job whose last attempt died with its worker went to the dead jobs without its handler
        // hearing of it: it hears now, in whichever worker rescued it.
        for job in rescued.buried {
            var logger = logger
            logger[metadataKey: "job_id"] = "\(job.id)"
            logger[metadataKey: "job_kind"] = .string(job.kind)
            do {
                try await handlers.handler(for: job.kind)?.buried(job, logger: logger)
            } catch {
                logger.error("a dead job's handler could not clean up", metadata: ["error": "\(error.reason)"])
            }
        }
    }

    /// Every served queue, an empty one included: a queue with no rows left is absent from
    /// `stats()`, and its gauges would otherwise keep the last backlog they saw.
    private func recordDepth() async throws {
        let found = Dictionary(try await queue.stats().map { ($0.queue, $0) }, uniquingKeysWith: { first, _ in first })
        for name in settings.queues {
            let stats = found[name]
            let depths = [("available", stats?.available), ("scheduled", stats?.scheduled), ("running", stats?.running), ("dead", stats?.dead)]
            for (state, value) in depths {
                Gauge(label: "jobs_queue_depth", dimensions: [("queue", name), ("state", state)]).record(value ?? 0)
            }
            Gauge(label: "jobs_oldest_available_seconds", dimensions: [("queue", name)]).record(stats?.oldestAvailableAge ?? 0)
        }
    }

    private func every(_ name: String, _ interval: Duration, _ body: @escaping @Sendable () async throws -> Void) async {
        await PeriodicTask(name, every: interval, logger: logger, body).repeating()
    }
}
