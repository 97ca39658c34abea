/// How long a login refused for a full hash queue is told to wait (`Retry-After`).
///
/// A fixed wait brings the whole refused crowd back at once: with hundreds of clients retrying
/// every second for a few hashes a second, the service spends its CPU refusing them, and the
/// hashing, which runs at a lower priority, gets what is left. Waits drawn at random over the time
/// the crowd needs leave the queue empty at moments, and the pool idle with clients still waiting.
///
/// Instead each refused caller is booked a return time of its own, one after another at a little
/// more than the rate the pool hashes (`overbooking`): the crowd comes back as a steady stream that
/// keeps the queue full, and the few that find it full again book the next free time. Waits run
/// from `minimum` up to `maximum`; once the book reaches that far, a wait is drawn at random
/// within it, so an overflowing crowd still spreads out.
struct RetryPacing: Sendable {
    var minimum: Duration
    var maximum: Duration
    /// Returns booked per hash the pool finishes, above 1 so that the queue never runs dry.
    var overbooking: Double
    /// The next free return time; nil or past when nobody is booked.
    private(set) var nextFree: ContinuousClock.Instant?

    init(minimum: Duration, maximum: Duration, overbooking: Double = 1.25) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.overbooking = max(1, overbooking)
    }

    /// The wait for one more refused caller, when the pool finishes `hashesPerSecond`.
    mutating func nextWait(hashesPerSecond: Double, now: ContinuousClock.Instant,
                           random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Duration {
        let earliest = now + minimum
        // No hash timed yet (the pool has not finished one): the shortest wait; by then it has.
        guard hashesPerSecond > 0 else { return minimum }
        let slot = max(earliest, nextFree ?? earliest)
        guard slot - now <= maximum else {
            return .seconds(random(minimum.seconds...maximum.seconds))
        }
        nextFree = slot + .seconds(1 / (hashesPerSecond * overbooking))
        return slot - now
    }
}
