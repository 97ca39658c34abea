import Metrics
import NIOConcurrencyHelpers

/// Admission to the upstream: at most `limit` calls at once, and a caller waits at most `maxWait`
/// for a slot; past it the caller is turned away (503 with `Retry-After`) instead of piling up.
final class UpstreamGate: Sendable {
    struct Busy: Error, Sendable {}

    private struct State {
        var running = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }

    let limit: Int
    let maxWait: Duration
    private let state = NIOLockedValueBox(State())
    private let inFlight = Meter(label: "gpt_upstream_in_flight")
    private let waiting = Meter(label: "gpt_upstream_waiting")

    init(limit: Int, maxWait: Duration) {
        self.limit = max(1, limit)
        self.maxWait = maxWait
        Gauge(label: "gpt_upstream_concurrency_max").record(self.limit)
    }

    /// Runs `body` holding a slot; throws `Busy` when none frees up in time.
    func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        let id: Int? = state.withLockedValue { state in
            if state.running < limit {
                state.running += 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else {
            inFlight.increment()
            return
        }
        waiting.increment()
        defer { waiting.decrement() }
        let admitted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            state.withLockedValue { $0.waiters.append((id, continuation)) }
            Task { [maxWait] in
                try? await Task.sleep(for: maxWait)
                self.timeOut(id)
            }
        }
        guard admitted else { throw Busy() }
        inFlight.increment()
    }

    private func timeOut(_ id: Int) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(returning: false)
    }

    private func release() {
        inFlight.decrement()
        // The slot passes straight to the oldest waiter, so running never drops below what waits.
        let next = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            if state.waiters.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
