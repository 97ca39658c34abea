import Testing
@testable import GPTService

/// Admission to the upstream: a bounded wait counted from the edge, and refusal at once when the
/// wait is sure to run past it.
@Suite struct UpstreamGateTests {
    /// A call that holds its slot until `release` is called.
    struct Holder {
        let stream: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation
        init() { (stream, continuation) = AsyncStream<Void>.makeStream() }
        func hold() async { for await _ in stream {} }
        func release() { continuation.finish() }
    }

    @Test func theExpectedWaitSharesTheCallersAheadAmongTheSlots() {
        #expect(UpstreamGate.expectedWait(waitersAhead: 0, limit: 4, averageHold: .seconds(2)) == .milliseconds(500))
        #expect(UpstreamGate.expectedWait(waitersAhead: 3, limit: 2, averageHold: .seconds(1)) == .seconds(2))
        #expect(UpstreamGate.expectedWait(waitersAhead: 10, limit: 2, averageHold: .zero) == .zero)
    }

    @Test func aFreeSlotAdmitsEvenARequestThatQueuedLongBefore() async throws {
        let gate = UpstreamGate(limit: 1, maxWait: .milliseconds(100))
        let value = try await gate.withSlot(arrived: .now - .seconds(30)) { 7 }
        #expect(value == 7)
    }

    @Test func timeQueuedBeforeTheServiceCountsAgainstTheWait() async throws {
        let gate = UpstreamGate(limit: 1, maxWait: .seconds(2))
        let holder = Holder()
        let held = Task { try await gate.withSlot { await holder.hold() } }
        defer { holder.release() }
        try await waitFor { gate.occupancy == (1, 0) }
        // Its request reached nginx 1.9 s ago: 0.1 s of its 2 s are left, not 2 s.
        let started = ContinuousClock.now
        await #expect(throws: UpstreamGate.Busy.self) { try await gate.withSlot(arrived: .now - .milliseconds(1900)) {} }
        #expect(ContinuousClock.now - started < .seconds(1))
        // One that queued longer than the whole wait is turned away without waiting at all.
        await #expect(throws: UpstreamGate.Busy.self) { try await gate.withSlot(arrived: .now - .seconds(3)) {} }
        holder.release()
        try await held.value
    }

    @Test func aCallerSureToWaitTooLongIsRefusedAtOnce() async throws {
        // A call is known to hold its slot for about 0.6 s.
        let gate = UpstreamGate(limit: 1, maxWait: .milliseconds(1500), initialHold: .milliseconds(600))
        let holder = Holder()
        let held = Task { try await gate.withSlot { await holder.hold() } }
        try await waitFor { gate.occupancy == (1, 0) }
        // The first waiter expects 0.6 s: it waits, and gets the slot when the holder lets go.
        let waiter = Task { try await gate.withSlot { 1 } }
        try await waitFor { gate.occupancy == (1, 1) }
        // One ahead of the next: 1.2 s, still within 1.5 s.
        let second = Task { try await gate.withSlot { 2 } }
        try await waitFor { gate.occupancy == (1, 2) }
        // The third would expect 1.8 s: refused now rather than after waiting 1.5 s in vain.
        let started = ContinuousClock.now
        await #expect(throws: UpstreamGate.Busy.self) { try await gate.withSlot {} }
        #expect(ContinuousClock.now - started < .milliseconds(750))
        holder.release()
        try await held.value
        #expect(try await waiter.value == 1)
        #expect(try await second.value == 2)
    }

    private func waitFor(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else { Issue.record("condition not met within 5 s"); return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
