import Foundation
import NIOConcurrencyHelpers

/// Writes log lines on a thread of its own, so a slow or stalled stdout (a full pipe, a paused
/// log shipper) never stalls the event loops that log. Lines wait in a bounded buffer; when it is
/// full, new lines are dropped and counted, and the count is written as a line of its own once
/// the writer catches up.
public final class LogWriter: Sendable {
    public static let standardOutput = LogWriter(handle: .standardOutput)

    private struct State {
        var lines: [Data] = []
        var bytes = 0
        var dropped = 0
        var droppedTotal = 0
        var writing = false
    }

    private let handle: FileHandle
    private let maxBytes: Int
    private let state: NIOLockedValueBox<State>
    private let wake = ConditionLock(value: 0)

    /// - Parameter maxBytes: lines waiting at most, in bytes.
    public init(handle: FileHandle, maxBytes: Int = 8 << 20) {
        self.handle = handle
        self.maxBytes = maxBytes
        self.state = NIOLockedValueBox(State())
        let thread = Thread { [self] in self.drain() }
        thread.name = "log-writer"
        thread.start()
    }

    /// Queues one line (with its newline); never blocks on the output.
    public func write(_ line: Data) {
        let accepted = state.withLockedValue { state -> Bool in
            guard state.bytes + line.count <= maxBytes else {
                state.dropped += 1
                state.droppedTotal += 1
                return false
            }
            state.lines.append(line)
            state.bytes += line.count
            return true
        }
        if accepted {
            wake.lock()
            wake.unlock(withValue: 1)
        }
    }

    /// Lines dropped since start because the buffer was full.
    public var droppedTotal: Int { state.withLockedValue { $0.droppedTotal } }

    /// Waits until every queued line is written (at exit, and for tests), for at most `timeout`.
    public func flush(timeout: TimeInterval = 2) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, state.withLockedValue({ !$0.lines.isEmpty || $0.writing }) {
            usleep(1000)
        }
    }

    private func drain() {
        while true {
            wake.lock(whenValue: 1)
            wake.unlock(withValue: 0)
            while true {
                let (lines, dropped) = state.withLockedValue { state -> ([Data], Int) in
                    defer {
                        state.lines = []
                        state.bytes = 0
                        state.dropped = 0
                    }
                    state.writing = !state.lines.isEmpty || state.dropped > 0
                    return (state.lines, state.dropped)
                }
                if lines.isEmpty && dropped == 0 { break }
                var batch = Data()
                for line in lines { batch.append(line) }
                if dropped > 0 {
                    batch.append(Data(#"{"level":"warning","logger":"log-writer","msg":"log lines dropped: the output was too slow","dropped":"\#(dropped)"}"#.utf8))
                    batch.append(0x0A)
                }
                // A closed output loses the lines; it must not take the process with it.
                try? handle.write(contentsOf: batch)
                state.withLockedValue { $0.writing = false }
            }
        }
    }
}
