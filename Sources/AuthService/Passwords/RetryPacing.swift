/// How long a login refused for a full hash queue is told to wait (`Retry-After`).
///
/// A fixed wait brings the whole refused crowd back at once: with hundreds of clients retrying
/// every second for a few hashes a second, the service spends its CPU refusing them, and the
/// hashing, which runs at a lower priority, gets what is left. Instead the wait grows with the
/// crowd and is spread at random, so the retries return at about the rate the pool can hash.
///
/// The crowd is estimated by Little's law: refusals per second times the mean wait handed out.
/// Serving it takes `crowd / hashesPerSecond` seconds; each refused caller is told a wait drawn
/// uniformly between `minimum` and that time, capped at `maximum`.
struct RetryPacing: Sendable {
    var minimum: Duration
    var maximum: Duration
    /// The refusals counted in the current one-second window, and the rate of the window before.
    private var windowStart: ContinuousClock.Instant?
    private var refusalsInWindow = 0
    private var waitsInWindow: Duration = .zero
    private(set) var refusalsPerSecond = 0.0
    private(set) var meanWait: Duration

    init(minimum: Duration, maximum: Duration) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.meanWait = minimum
    }

    /// The wait for one more refused caller, when the pool finishes `hashesPerSecond`.
    mutating func nextWait(hashesPerSecond: Double, now: ContinuousClock.Instant,
                           random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Duration {
        roll(to: now)
        let crowd = refusalsPerSecond * meanWait.seconds
        // No hash timed yet (the pool has not finished one): as if it were at its slowest.
        let drain = crowd == 0 ? 0 : hashesPerSecond > 0 ? crowd / hashesPerSecond : maximum.seconds
        let upper = min(maximum.seconds, max(minimum.seconds, drain))
        let wait = Duration.seconds(random(minimum.seconds...upper))
        refusalsInWindow += 1
        waitsInWindow += wait
        return wait
    }

    /// Starts a new window once a second has passed; a window with no refusals resets the rate.
    private mutating func roll(to now: ContinuousClock.Instant) {
        guard let start = windowStart else {
            windowStart = now
            return
        }
        let elapsed = now - start
        guard elapsed >= .seconds(1) else { return }
        if elapsed < .seconds(2) {
            refusalsPerSecond = Double(refusalsInWindow) / elapsed.seconds
            meanWait = refusalsInWindow > 0 ? waitsInWindow / refusalsInWindow : minimum
        } else {
            // A quiet second or more: the crowd has gone.
            refusalsPerSecond = 0
            meanWait = minimum
        }
        windowStart = now
        refusalsInWindow = 0
        waitsInWindow = .zero
    }
}
