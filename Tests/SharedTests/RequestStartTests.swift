import Foundation
import Testing
@testable import Shared

/// What a service makes of nginx's `X-Request-Start` stamp.
@Suite struct RequestStartTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000.5)

    @Test func aStampIsTheTimeSinceIt() {
        #expect(RequestStart.waited(header: "t=1764000000.250", now: now) == .milliseconds(250))
        // Without the `t=` some proxies leave out, and with white space around it.
        #expect(RequestStart.waited(header: " 1763999998.5 ", now: now) == .seconds(2))
    }

    @Test func aStampAheadOfTheClockIsNoWait() {
        #expect(RequestStart.waited(header: "t=1764000000.900", now: now) == .zero)
    }

    @Test func missingMalformedOrImplausibleStampsAreIgnored() {
        for header in [nil, "", "t=", "t=soon", "t=1764000000.5.1", "t=nan", "t=inf", "t=1e400",
                       "t=1763990000.0", "t=1764090000.0", "t=" + String(repeating: "1", count: 40)] {
            #expect(RequestStart.waited(header: header, now: now) == nil, "\(header ?? "nil")")
        }
    }
}
