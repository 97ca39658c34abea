import Foundation
import Testing
@testable import Shared

/// What a service makes of nginx's `X-Request-Start` stamp.
@Suite struct RequestStartTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000.5)

    @Test func aStampsGapIsTheTimeSinceIt() {
        #expect(RequestStart.gap(header: "t=1764000000.250", now: now) == 0.25)
        // Without the `t=` some proxies leave out, and with white space around it.
        #expect(RequestStart.gap(header: " 1763999998.5 ", now: now) == 2)
        // Ahead of this host's clock: a negative gap, which `ClockOffset` makes sense of.
        #expect(RequestStart.gap(header: "t=1764000060.5", now: now) == -60)
    }

    @Test func missingMalformedOrImplausibleStampsAreIgnored() {
        for header in [nil, "", "t=", "t=soon", "t=1764000000.5.1", "t=nan", "t=inf", "t=1e400",
                       "t=1763990000.0", "t=1764090000.0", "t=" + String(repeating: "1", count: 40)] {
            #expect(RequestStart.gap(header: header, now: now) == nil, "\(header ?? "nil")")
        }
    }
}

/// The proxy's clock against this host's, learnt from the smallest gap of recent requests.
@Suite struct ClockOffsetTests {
    let start = ContinuousClock.now
    let wall = Date(timeIntervalSince1970: 1_764_000_000)

    /// `gap` seconds, `after` seconds into the test by both of this host's clocks.
    func wait(_ offset: ClockOffset, gap: Double, after seconds: Double, step: Double = 0) -> Duration {
        offset.wait(gap: gap, wall: wall + seconds + step, at: start + .seconds(seconds))
    }

    @Test func inStepClocksReadGapsAsWaits() {
        let offset = ClockOffset(window: .seconds(30), now: start)
        #expect(wait(offset, gap: 0.002, after: 0) == .zero)
        #expect(wait(offset, gap: 0.752, after: 1) == .milliseconds(750))
    }

    /// A host a minute ahead of nginx sees every gap a minute long; read as waits, every request
    /// would be shed.
    @Test func aHostAMinuteAheadStillSeesTheRealWaits() {
        let offset = ClockOffset(window: .seconds(30), now: start)
        #expect(wait(offset, gap: 60.010, after: 0) == .zero)
        #expect(wait(offset, gap: 60.004, after: 1) == .zero)
        #expect(wait(offset, gap: 60.604, after: 2) == .milliseconds(600))
        // And a proxy ahead of this host: negative gaps.
        let behind = ClockOffset(window: .seconds(30), now: start)
        #expect(wait(behind, gap: -30, after: 0) == .zero)
        #expect(wait(behind, gap: -29, after: 1) == .seconds(1))
    }

    /// Two nginx hosts whose clocks differ by a second: learnt as one, every request through the
    /// one in step would look a second queued.
    @Test func eachProxyHasAClockOfItsOwn() {
        let clocks = ProxyClocks(service: "test")
        let ahead = clocks.offset(for: "10.0.0.1"), inStep = clocks.offset(for: "10.0.0.2")
        #expect(wait(ahead, gap: -1.0, after: 0) == .zero)
        #expect(wait(inStep, gap: 0.01, after: 0) == .zero)
        #expect(wait(inStep, gap: 0.61, after: 1) == .milliseconds(600))
        #expect(wait(ahead, gap: -0.4, after: 1) == .milliseconds(600))
        #expect(clocks.offset(for: "10.0.0.1") === ahead)
    }

    @Test func aGapThatIsNoNumberIsNoWait() {
        let offset = ClockOffset(window: .seconds(30), now: start)
        #expect(wait(offset, gap: 0.01, after: 0) == .zero)
        #expect(wait(offset, gap: -.infinity, after: 1) == .zero)
        #expect(wait(offset, gap: .nan, after: 1) == .zero)
        #expect(wait(offset, gap: 0.51, after: 2) == .milliseconds(500))
    }

    /// This host's clock stepped a minute ahead (its wall clock against its monotonic one): the
    /// offset is learnt again from the next request, so nothing is shed for the step.
    @Test func aStepOfThisHostsClockIsLearntAtOnce() {
        let offset = ClockOffset(window: .seconds(30), now: start)
        #expect(wait(offset, gap: 0.01, after: 0) == .zero)
        #expect(wait(offset, gap: 60.02, after: 10, step: 60) == .zero)
        #expect(wait(offset, gap: 60.72, after: 11, step: 60) == .milliseconds(700))
        // Stepped back again: a smaller gap is a new minimum at once.
        #expect(wait(offset, gap: 0.02, after: 12) == .zero)
        #expect(wait(offset, gap: 0.62, after: 13) == .milliseconds(600))
    }

    /// The proxy's clock stepped back a minute: gaps grow by a minute, which this host cannot tell
    /// from waits until the smaller gaps age out, within two windows.
    @Test func aStepOfTheProxysClockIsLearntWithinTwoWindows() {
        let offset = ClockOffset(window: .seconds(30), now: start)
        #expect(wait(offset, gap: 0.01, after: 0) == .zero)
        #expect(wait(offset, gap: 60.01, after: 1) == .seconds(60))
        #expect(wait(offset, gap: 60.01, after: 31) == .seconds(60))
        #expect(wait(offset, gap: 60.01, after: 61) == .zero)
        #expect(wait(offset, gap: 60.51, after: 62) == .milliseconds(500))
    }
}
