import Shared
import Synchronization

/// A clock a test moves forward: the system's time plus everything `advance(by:)` added. Give a
/// service `clock.service` and expiry and cool-down pass at once; a wait the service makes on it
/// moves it forward instead of passing.
///
/// Only what reads the injected clock moves: Postgres's and Redis's own clocks do not, so a test
/// advances past the rule it proves and does not compare times across them afterwards.
public final class TestClock: Sendable {
    private let offset = Mutex(Duration.zero)

    public init() {}

    public func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }

    /// How far the test and the waits on `service` have moved it.
    public var advanced: Duration { offset.withLock { $0 } }

    /// The clock to hand a service or a component under test.
    public var service: ServiceClock {
        ServiceClock(offset: { self.advanced }, sleep: { duration in
            try Task.checkCancellation()
            self.advance(by: duration)
            await Task.yield()
        })
    }
}
