import Metrics
import NIOConcurrencyHelpers

/// Admission to the upstream: at most `limit` calls at once, and a caller waits at most `maxWait`
/// for a slot, counted from when its request reached the edge (nginx), so time already spent in
/// queues before the service counts against it. Past it the caller is turned away (503 with
/// `Retry-After`) instead of piling up, and a caller whose wait is sure to run past it, by the
/// callers ahead of it and the recent time of a call, is turned away at once rather than after
/// waiting in vain.
final class UpstreamGate: Sendable {
    struct Busy: Error, Sendable {}

    private struct State {
        var running = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
        /// Recent time a slot was held, smoothed; zero until the first call ends.
        var averageHold: Duration = .zero
    }

    let limit: Int
    let maxWait: Duration
    private let state = NIOLockedValueBox(State())
    private let inFlight = Meter(label: "gpt_upstream_in_flight")
    private let waiting = Meter(label: "gpt_upstream_waiting")
    private let shed = Counter(label: "gpt_upstream_shed_total")

    /// `initialHold` is the estimate of a call's time until the first call has ended.
    init(limit: Int, maxWait: Duration, initialHold: Duration = .zero) {
        self.limit = max(1, limit)
        self.maxWait = maxWait
        state.withLockedValue { $0.averageHold = initialHold }
        Gauge(label: "gpt_upstream_concurrency_max").record(self.limit)
    }

    /// Runs `body` holding a slot; throws `Busy` when none frees up by `maxWait` after `arrived`
    /// (now, if later).
    func withSlot<T: Sendable>(arrived: ContinuousClock.Instant = .now, _ body: () async throws -> T) async throws -> T {
        try await acquire(by: min(arrived, .now) + maxWait)
        let started = ContinuousClock.now
        defer { release(held: ContinuousClock.now - started) }
        return try await body()
    }

    /// The wait a new caller would have for a slot: the callers ahead of it and itself, shared
    /// among the slots, at the recent time of a call.
    static func expectedWait(waitersAhead: Int, limit: Int, averageHold: Duration) -> Duration {
        averageHold * (Double(waitersAhead + 1) / Double(limit))
    }

    private enum Admission { case now, wait(Int), refused }

    private func acquire(by deadline: ContinuousClock.Instant) async throws {
        let now = ContinuousClock.now
        let admission: Admission = state.withLockedValue { state in
            if state.running < limit {
                state.running += 1
                return .now
            }
            let expected = Self.expectedWait(waitersAhead: state.waiters.count, limit: limit, averageHold: state.averageHold)
            guard deadline > now, now + expected <= deadline else { return .refused }
            state.nextID += 1
            return .wait(state.nextID)
        }
        let id: Int
        switch admission {
        case .now:
            inFlight.increment()
            return
        case .refused:
            shed.increment()
            throw Busy()
        case .wait(let waiter):
            id = waiter
        }
        waiting.increment()
        defer { waiting.decrement() }
        let admitted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            // A slot freed since the admission above would wake nobody: take it instead of queueing.
            let freed = state.withLockedValue { state -> Bool in
                if state.running < limit {
                    state.running += 1
                    return true
                }
                state.waiters.append((id, continuation))
                return false
            }
            if freed {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(until: deadline)
                self.timeOut(id)
            }
        }
        guard admitted else {
            shed.increment()
            throw Busy()
        }
        inFlight.increment()
    }

    /// Calls holding a slot and callers waiting for one, now.
    var occupancy: (running: Int, waiting: Int) { state.withLockedValue { ($0.running, $0.waiters.count) } }

    private func timeOut(_ id: Int) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(returning: false)
    }

    private func release(held: Duration) {
        inFlight.decrement()
        // The slot passes straight to the oldest waiter, so running never drops below what waits.
        let next = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            state.averageHold = state.averageHold == .zero ? held : state.averageHold * 0.8 + held * 0.2
            if state.waiters.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
