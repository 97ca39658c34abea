import Testing
@testable import AuthService

@Suite struct RetryPacingTests {
    let start = ContinuousClock.now

    @Test func aFirstRefusalWaitsTheMinimum() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        #expect(pacing.nextWait(hashesPerSecond: 10, now: start) == .seconds(1))
    }

    /// 100 refused at once by a pool of 10 hashes a second are booked 12.5 a second: each second
    /// brings back a little more than the pool can hash, and the last returns after 8 s more.
    @Test func aCrowdIsBookedBackAtALittleMoreThanTheHashRate() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60), overbooking: 1.25)
        let waits = (0..<100).map { _ in pacing.nextWait(hashesPerSecond: 10, now: start) }
        #expect(waits.first == .seconds(1))
        #expect(zip(waits, waits.dropFirst()).allSatisfy { abs(($1 - $0).seconds - 0.08) < 1e-6 })
        #expect(abs(waits.last!.seconds - (1 + 99 * 0.08)) < 1e-6)
        // As Retry-After, whole seconds: about 12 or 13 come back in each second.
        let perSecond = Dictionary(grouping: waits, by: \.wholeSecondsUp).mapValues(\.count)
        let full = perSecond.keys.sorted().dropFirst().dropLast().map { perSecond[$0]! }
        #expect(full.count == 7 && full.allSatisfy { (12...13).contains($0) }, "\(perSecond)")
        // A faster pool, a tighter book.
        var faster = RetryPacing(minimum: .seconds(1), maximum: .seconds(60), overbooking: 1.25)
        let fast = (0..<100).map { _ in faster.nextWait(hashesPerSecond: 20, now: start) }
        #expect(abs(fast.last!.seconds - (1 + 99 * 0.04)) < 1e-6)
    }

    /// Refusals spread over time join the end of the book instead of jumping ahead of it.
    @Test func aLaterRefusalBooksAfterTheEarlierOnes() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60), overbooking: 1)
        for _ in 0..<50 { _ = pacing.nextWait(hashesPerSecond: 10, now: start) }
        // Booked up to 1 + 50 × 0.1 = 6 s after the start; 2 s later that is 4 s away.
        let later = pacing.nextWait(hashesPerSecond: 10, now: start + .seconds(2))
        #expect(abs(later.seconds - 4) < 1e-6)
    }

    @Test func theWaitNeverPassesTheMaximum() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(15), overbooking: 1)
        var drawnWithin: ClosedRange<Double>?
        let waits = (0..<300).map { _ in
            pacing.nextWait(hashesPerSecond: 10, now: start) { drawnWithin = $0; return 14.55 }
        }
        #expect(waits.allSatisfy { $0 >= .seconds(1) && $0 <= .seconds(15) })
        // About 141 bookings fill 1 s to 15 s at 10 a second (14.55 s is never one of them); the
        // rest are drawn over the whole range.
        let drawn = waits.filter { abs($0.seconds - 14.55) < 1e-9 }.count
        #expect((300 - 141...300 - 140).contains(drawn))
        #expect(drawnWithin == 1...15)
    }

    @Test func withNoHashTimedYetTheWaitIsTheMinimum() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(15))
        #expect((0..<10).allSatisfy { _ in pacing.nextWait(hashesPerSecond: 0, now: start) == .seconds(1) })
    }

    @Test func onceTheBookedHaveReturnedTheWaitIsTheMinimumAgain() {
        var pacing = RetryPacing(minimum: .seconds(1), maximum: .seconds(60))
        for _ in 0..<40 { _ = pacing.nextWait(hashesPerSecond: 10, now: start) }
        #expect(pacing.nextWait(hashesPerSecond: 10, now: start + .seconds(1)) > .seconds(1))
        #expect(pacing.nextWait(hashesPerSecond: 10, now: start + .seconds(10)) == .seconds(1))
    }
}
