import Metrics
import NIOConcurrencyHelpers
import Shared

/// Fails fast while the upstream is down: after `failureThreshold` failures in a row it opens for
/// `cooldown`, then lets one call through (half-open); that call's outcome closes or reopens it.
final class CircuitBreaker: Sendable {
    enum Decision: Sendable, Equatable {
        case allowed
        /// Open: try again after this long.
        case open(retryAfter: Duration)
    }

    private enum State {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen(probing: Bool)
    }

    let failureThreshold: Int
    let cooldown: Duration
    private let state = NIOLockedValueBox(State.closed(failures: 0))
    private let gauge: Gauge
    private let clock: ServiceClock

    init(name: String, failureThreshold: Int, cooldown: Duration, clock: ServiceClock = .system) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldown = cooldown
        self.clock = clock
        gauge = Gauge(label: "gpt_circuit_open", dimensions: [("upstream", name)])
        gauge.record(0)
    }

    func check() -> Decision { check(now: clock.now) }

    func check(now: ContinuousClock.Instant) -> Decision {
        state.withLockedValue { state in
            switch state {
            case .closed:
                return .allowed
            case .open(let until) where now < until:
                return .open(retryAfter: until - now)
            case .open:
                state = .halfOpen(probing: true)
                return .allowed
            case .halfOpen(let probing):
                if probing { return .open(retryAfter: .seconds(1)) }
                state = .halfOpen(probing: true)
                return .allowed
            }
        }
    }

    func succeeded() {
        state.withLockedValue { $0 = .closed(failures: 0) }
        gauge.record(0)
    }

    func failed() { failed(now: clock.now) }

    func failed(now: ContinuousClock.Instant) {
        let opened = state.withLockedValue { state -> Bool in
            switch state {
            case .closed(let failures) where failures + 1 < failureThreshold:
                state = .closed(failures: failures + 1)
                return false
            case .closed, .halfOpen:
                state = .open(until: now + cooldown)
                return true
            case .open:
                return true
            }
        }
        gauge.record(opened ? 1 : 0)
    }

    var isOpen: Bool {
        state.withLockedValue { if case .open = $0 { return true } else { return false } }
    }
}
