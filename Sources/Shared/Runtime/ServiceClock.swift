import Foundation

/// The time that expiry and cool-down rules read, and the waits they make: the system's clocks
/// in production. Tests give a service one that runs ahead by however far the test has moved it,
/// so a token's expiry or a breaker's cool-down passes at once instead of after a wait, and whose
/// waits move it instead of passing. Both readings move together.
public struct ServiceClock: Sendable {
    private let offset: @Sendable () -> Duration
    private let wait: @Sendable (Duration) async throws -> Void

    /// The system's clocks, unmoved.
    public static let system = ServiceClock { .zero }

    /// The system's clocks moved ahead by whatever `offset` answers at the time of reading, with
    /// `sleep` for its waits (the task's own by default).
    public init(offset: @escaping @Sendable () -> Duration,
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.offset = offset
        self.wait = sleep
    }

    /// Waits `duration` on this clock.
    public func sleep(for duration: Duration) async throws {
        try await wait(duration)
    }

    /// Monotonic time: cool-downs, backoffs and cache lifetimes.
    public var now: ContinuousClock.Instant { .now + offset() }

    /// Wall-clock time: what is written down or compared across hosts (token claims, the scores
    /// and arguments of Redis scripts, expiry kept in Postgres).
    public var date: Date { Date().addingTimeInterval(offset().seconds) }
}
