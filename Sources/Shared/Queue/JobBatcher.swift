import Logging
import Metrics
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Enqueues jobs that follow no database change of their own (a question answered from Redis,
/// say) by group commit: one INSERT in flight at a time, and whatever arrives meanwhile goes in
/// the next, so a burst of ten thousand answers costs a few dozen statements rather than ten
/// thousand commits. Jobs that must commit with a change are enqueued in that change's
/// transaction instead (`JobQueue.enqueue(_:on:logger:)`).
///
/// `linger` trades a little delay for fewer, larger batches: once something is waiting, the
/// batcher waits that long (or until `maxBatch` are waiting) before writing. Every statement and
/// job has a fixed cost in Postgres and in the Workers that is large beside one small element,
/// so audit events, which nobody reads within a tenth of a second, linger.
///
/// What is batched is `Element`: jobs themselves, or events that a batch turns into one job
/// (`auditEvents`), so ten thousand events cost a few jobs, not ten thousand.
///
/// Bounded: beyond `capacity` waiting elements new ones are dropped and counted, so a database
/// outage cannot grow memory without end. A batch that fails is tried again, backing off to 2 s,
/// until it is written. On graceful shutdown what is waiting is written before the pool closes.
public final class JobBatcher<Element: Sendable>: Sendable, Service {
    private struct State {
        var pending: [Element] = []
        var wakeup: CheckedContinuation<Void, Never>?
        var stopped = false
        /// Tries of the batch being written that have failed so far.
        var failedTries = 0
    }

    let jobs: JobQueue
    let capacity: Int
    let maxBatch: Int
    let linger: Duration
    let makeJobs: @Sendable ([Element]) throws -> [NewJob]
    private let state = NIOLockedValueBox(State())
    private let dropped: Counter
    private let failures: Counter

    public init(jobs: JobQueue, capacity: Int = 50_000, maxBatch: Int = 1000, linger: Duration = .zero,
                makeJobs: @escaping @Sendable ([Element]) throws -> [NewJob]) {
        self.jobs = jobs
        self.capacity = capacity
        self.maxBatch = maxBatch
        self.linger = linger
        self.makeJobs = makeJobs
        dropped = Counter(label: "jobs_batcher_dropped_total")
        failures = Counter(label: "jobs_batcher_failed_batches_total")
    }

    /// Hands `element` over; returns at once.
    public func submit(_ element: Element) {
        let wakeup = state.withLockedValue { state -> CheckedContinuation<Void, Never>?? in
            guard state.pending.count < capacity else { return .none }
            state.pending.append(element)
            defer { state.wakeup = nil }
            return .some(state.wakeup)
        }
        switch wakeup {
        case .none: dropped.increment()
        case .some(let continuation): continuation?.resume()
        }
    }

    /// Jobs handed over and not yet written.
    public var pendingCount: Int { state.withLockedValue { $0.pending.count } }

    /// How many tries of the batch being written have failed so far (0 once it is written).
    public var failedTries: Int { state.withLockedValue { $0.failedTries } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while true {
                let batch = await nextBatch()
                guard let batch else { break }
                await write(batch)
            }
        } onGracefulShutdown: {
            let wakeup = self.state.withLockedValue { state in
                state.stopped = true
                defer { state.wakeup = nil }
                return state.wakeup
            }
            wakeup?.resume()
        }
        // Whatever came in after the last batch.
        while let rest = takeBatch(), !rest.isEmpty { await write(rest) }
    }

    private func takeBatch() -> [Element]? {
        state.withLockedValue { state in
            guard !state.pending.isEmpty else { return nil }
            let batch = Array(state.pending.prefix(maxBatch))
            state.pending.removeFirst(batch.count)
            return batch
        }
    }

    /// The next batch, waiting for one; nil once stopped with nothing left.
    private func nextBatch() async -> [Element]? {
        while true {
            if linger > .zero, state.withLockedValue({ !$0.stopped && !$0.pending.isEmpty && $0.pending.count < maxBatch }) {
                try? await Task.sleep(for: linger)
            }
            if let batch = takeBatch() { return batch }
            if state.withLockedValue({ $0.stopped }) { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.stopped || !state.pending.isEmpty { return true }
                    state.wakeup = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func write(_ batch: [Element]) async {
        let made: [NewJob]
        do {
            made = try makeJobs(batch)
        } catch {
            drop(batch, error: error)
            return
        }
        // Tried until written: what fails a batch is Postgres away for seconds (a restart, a
        // failover, a dropped connection), and an answer was already given for each element. New
        // elements wait meanwhile, up to `capacity`, so memory stays bounded. A duplicate from a
        // write whose commit went unacknowledged is harmless: events are keyed by their ids.
        // Once stopping (or cancelled), a few more tries and then the batch is dropped.
        var delay = Duration.milliseconds(100)
        for attempt in 1... {
            do {
                try await jobs.enqueue(made)
                state.withLockedValue { $0.failedTries = 0 }
                if attempt > 2 { jobs.logger.info("a batch of jobs was written after retries", metadata: ["attempts": "\(attempt)"]) }
                return
            } catch {
                let stopping = state.withLockedValue { state in
                    state.failedTries = attempt
                    return state.stopped
                } || Task.isCancelled
                if stopping && attempt >= 3 {
                    drop(batch, error: error)
                    return
                }
                if attempt == 2 {
                    failures.increment()
                    jobs.logger.warning("could not enqueue a batch of jobs; retrying until it is written",
                                        metadata: ["jobs": "\(batch.count)", "error": "\(error.reason)"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    private func drop(_ batch: [Element], error: any Error) {
        state.withLockedValue { $0.failedTries = 0 }
        dropped.increment(by: batch.count)
        jobs.logger.error("could not enqueue a batch of jobs; dropped", metadata: ["jobs": "\(batch.count)", "error": "\(error.reason)"])
    }
}

extension JobBatcher where Element == NewJob {
    /// Batches jobs as they are.
    public convenience init(jobs: JobQueue, capacity: Int = 50_000, maxBatch: Int = 1000) {
        self.init(jobs: jobs, capacity: capacity, maxBatch: maxBatch) { $0 }
    }
}

extension JobBatcher where Element == AuditEvent {
    /// Batches audit events into one `audit.events` job per batch; an event waits at most
    /// `linger` for others to join it.
    public static func auditEvents(jobs: JobQueue, capacity: Int = 50_000, maxBatch: Int = 1000,
                                   linger: Duration = .milliseconds(100)) -> JobBatcher<AuditEvent> {
        JobBatcher(jobs: jobs, capacity: capacity, maxBatch: maxBatch, linger: linger) { [.audit($0)] }
    }
}
