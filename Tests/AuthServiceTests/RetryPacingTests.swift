import Testing
@testable import AuthService

@Suite struct RetryPacingTests {
    let start = ContinuousClock.now
    /// The top of the range: what the pacing would allow at most.
    let highest: (ClosedRange<Double>) -> Double = { $0.upperBound }

    @Test func aFirstRefusalWaitsTheMinimum() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        #expect(pacing.nextWait(hashesPerSecond: 10, now: start, random: highest) == .seconds(1))
    }

    /// 400 refusals in a second told to wait 1 s are a crowd of 400; at 10 hashes a second it
    /// takes 40 s to serve, so the next refusals are spread over up to 40 s.
    @Test func theWaitGrowsWithTheCrowdAndTheHashRate() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        for step in 0..<400 {
            _ = pacing.nextWait(hashesPerSecond: 10, now: start + .milliseconds(step * 2), random: highest)
        }
        let next = pacing.nextWait(hashesPerSecond: 10, now: start + .milliseconds(1000), random: highest)
        #expect(pacing.refusalsPerSecond == 400)
        #expect(next == .seconds(40))
        // Twice the hash rate, half the spread.
        var faster = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        for step in 0..<400 {
            _ = faster.nextWait(hashesPerSecond: 20, now: start + .milliseconds(step * 2), random: highest)
        }
        #expect(faster.nextWait(hashesPerSecond: 20, now: start + .milliseconds(1000), random: highest) == .seconds(20))
    }

    @Test func theWaitIsDrawnBetweenTheMinimumAndTheDrainTime() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        for step in 0..<400 { _ = pacing.nextWait(hashesPerSecond: 10, now: start + .milliseconds(step * 2)) }
        var range: ClosedRange<Double>?
        _ = pacing.nextWait(hashesPerSecond: 10, now: start + .seconds(1)) { range = $0; return $0.lowerBound }
        #expect(range == 1...40)
        let waits = (0..<200).map { _ in pacing.nextWait(hashesPerSecond: 10, now: start + .milliseconds(1500)) }
        #expect(waits.allSatisfy { $0 >= .seconds(1) && $0 <= .seconds(40) })
        #expect(Set(waits.map(\.wholeSecondsUp)).count > 10, "spread, not one value")
    }

    @Test func theWaitNeverPassesTheMaximum() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(15))
        for step in 0..<1000 { _ = pacing.nextWait(hashesPerSecond: 5, now: start + .milliseconds(step), random: highest) }
        #expect(pacing.nextWait(hashesPerSecond: 5, now: start + .seconds(1), random: highest) == .seconds(15))
        // No hash timed yet: the most.
        var fresh = RetryPacing(minimum: .seconds(1), maximum: .seconds(15))
        _ = fresh.nextWait(hashesPerSecond: 0, now: start)
        for step in 0..<10 { _ = fresh.nextWait(hashesPerSecond: 0, now: start + .milliseconds(step)) }
        #expect(fresh.nextWait(hashesPerSecond: 0, now: start + .seconds(1), random: highest) == .seconds(15))
    }

    /// The crowd is measured with the waits it was told: told 10 s on average, 40 refusals a
    /// second are a crowd of 400, not 40.
    @Test func theCrowdCountsTheWaitsHandedOut() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        for step in 0..<40 {
            _ = pacing.nextWait(hashesPerSecond: 10, now: start + .milliseconds(step * 20)) { _ in 10 }
        }
        #expect(pacing.nextWait(hashesPerSecond: 10, now: start + .seconds(1), random: highest) == .seconds(40))
        #expect(pacing.meanWait == .seconds(10))
    }

    @Test func aQuietSpellResetsThePacing() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        for step in 0..<400 { _ = pacing.nextWait(hashesPerSecond: 10, now: start + .milliseconds(step * 2), random: highest) }
        #expect(pacing.nextWait(hashesPerSecond: 10, now: start + .seconds(1), random: highest) > .seconds(1))
        #expect(pacing.nextWait(hashesPerSecond: 10, now: start + .seconds(5), random: highest) == .seconds(1))
    }
}
