/// A counting semaphore for tests: suites that start whole servers run a few at a time, so the
/// suite's timing tests keep their share of the cores.
public actor TestSlots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(_ count: Int) { free = count }

    public func wait() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func signal() {
        if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
    }
}

extension TestSlots {
    /// Runs `body` holding one slot.
    public func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await wait()
        do {
            let result = try await body()
            signal()
            return result
        } catch {
            signal()
            throw error
        }
    }
}
