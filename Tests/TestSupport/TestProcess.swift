import Foundation
import NIOConcurrencyHelpers

/// A child process of a test, whose exit is awaited rather than waited for. Foundation's
/// `waitUntilExit` spins the calling thread's run loop until the exit is delivered there; called
/// from a task (on whichever pool thread it runs) it may never be woken, and it parked the suite's
/// threads for good. The exit is taken from `terminationHandler`, set before the process starts.
public final class TestProcess: Sendable {
    public let pid: Int32
    private let state: NIOLockedValueBox<State>

    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// Starts `process`, configured by the caller.
    public init(starting process: Process) throws {
        let state = NIOLockedValueBox(State())
        process.terminationHandler = { process in
            let status = process.terminationStatus
            let waiters = state.withLockedValue { state in
                state.status = status
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
        try process.run()
        self.state = state
        self.pid = process.processIdentifier
    }

    public var isRunning: Bool { state.withLockedValue { $0.status == nil } }

    /// The exit status (or the signal that ended it), once it has exited.
    public var status: Int32? { state.withLockedValue { $0.status } }

    /// Until it exits.
    public func exited() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLockedValue { state -> Int32? in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Its exit status if it exits within `timeout`, nil if it is still running then.
    public func exited(within timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return status
    }

    public func signal(_ signal: Int32) {
        if isRunning { _ = Foundation.kill(pid, signal) }
    }

    /// SIGKILL (a child started by Foundation may inherit a mask that blocks SIGTERM), then its exit.
    public func kill() async {
        signal(SIGKILL)
        _ = await exited()
    }

    /// Runs `body`, then kills the process, whether `body` returned or threw.
    public func killed<T: Sendable>(after body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await kill()
            return result
        } catch {
            await kill()
            throw error
        }
    }
}
