import Foundation
import Metrics
import NIOConcurrencyHelpers

/// How far the proxy's clock is from this host's, so that a stamp's gap (`RequestStart`) reads as
/// a wait: the smallest gap seen in the last one to two windows, since in any half minute some
/// request reaches the handler without queueing. Without it a host whose clock is ahead of nginx's
/// (a minute, or only the half second of the queue deadline) would take every request for one
/// that waited that long and shed them all.
///
/// - When this host's clock steps (its wall clock moves against its monotonic one), what was
///   learnt is dropped and learnt again from the next request.
/// - When the proxy's clock steps back, waits read long, and requests are shed, until the window
///   turns over: at most two windows.
/// - In a spike that outlasts two windows, waits read short by the shortest wait of that time,
///   which shedding itself keeps small. So does a first request that queued, at start-up or
///   after two quiet windows, until a quicker one comes.
///
/// One per proxy (`ProxyClocks`): each nginx host has a clock of its own.
public final class ClockOffset: Sendable {
    private struct State {
        var current = Double.infinity
        var previous = Double.infinity
        var started: ContinuousClock.Instant
        var offset = Double.nan
        /// This host's wall clock less its monotonic one when last seen: a change is a step.
        var wallLessMonotonic = Double.nan
    }

    let window: Duration
    private let origin: ContinuousClock.Instant
    private let state: NIOLockedValueBox<State>
    private let gauge: Gauge?

    public init(window: Duration = .seconds(30), gauge: Gauge? = nil, now: ContinuousClock.Instant = .now) {
        self.window = window
        self.origin = now
        self.state = NIOLockedValueBox(State(started: now))
        self.gauge = gauge
    }

    /// The wait that `gap` (seconds from the stamp to `wall`, `RequestStart.gap`) stands for,
    /// never negative; the gap also counts towards the offset.
    public func wait(gap: Double, wall: Date = Date(), at now: ContinuousClock.Instant = .now) -> Duration {
        guard gap.isFinite else { return .zero }
        let monotonic = Double((now - origin).components.seconds) + Double((now - origin).components.attoseconds) * 1e-18
        let (offset, changed) = state.withLockedValue { state -> (Double, Bool) in
            let wallLessMonotonic = wall.timeIntervalSince1970 - monotonic
            if abs(wallLessMonotonic - state.wallLessMonotonic) > 0.5 {
                state.current = .infinity
                state.previous = .infinity
            }
            state.wallLessMonotonic = wallLessMonotonic
            let elapsed = now - state.started
            if elapsed >= window {
                state.previous = elapsed >= window * 2 ? .infinity : state.current
                state.current = .infinity
                state.started = now
            }
            state.current = Swift.min(state.current, gap)
            let offset = Swift.min(state.current, state.previous)
            defer { state.offset = offset }
            return (offset, offset != state.offset)
        }
        if changed { gauge?.record(offset) }
        return .milliseconds(Int64((Swift.max(0, gap - offset) * 1000).rounded()))
    }
}

/// The clock offsets of the proxies a service trusts, one each, learnt separately: with two nginx
/// hosts whose clocks differ, one offset for both would make every request through one of them
/// look queued. As many as the trusted proxies that send stamps, so few.
public final class ProxyClocks: Sendable {
    private let offsets = NIOLockedValueBox([String: ClockOffset]())
    private let service: String

    public init(service: String) {
        self.service = service
    }

    public func offset(for proxy: String) -> ClockOffset {
        offsets.withLockedValue { offsets in
            if let known = offsets[proxy] { return known }
            let made = ClockOffset(gauge: Gauge(label: "http_server_clock_offset_seconds", dimensions: [("service", service), ("proxy", proxy)]))
            offsets[proxy] = made
            return made
        }
    }
}
