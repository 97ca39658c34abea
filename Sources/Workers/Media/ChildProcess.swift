import Foundation
import NIOConcurrencyHelpers

/// Runs a program to completion without blocking a thread, killing it after `timeout`.
enum ChildProcess {
    struct Result: Sendable {
        var status: Int32
        /// The last 2,000 characters of its output (stderr only when `onLine` takes stdout).
        var output: String
        var timedOut: Bool
    }

    /// - Parameter onLine: when given, receives the child's standard output line by line as it is
    ///   written (ffmpeg's `-progress`); only standard error is kept as `output` then.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration,
                    onLine: (@Sendable (Substring) -> Void)? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        let lines = onLine.map { _ in Pipe() }
        process.standardOutput = lines ?? errors
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        // Read output as it comes (a full pipe would stall the child) on threads of their own: the
        // reads block, and tasks run on the event loops. Only the tail is kept: a chatty child
        // cannot grow this process.
        async let output = readTail(errors.fileHandleForReading, onLine: nil)
        async let progress = readTail(lines?.fileHandleForReading, onLine: onLine)
        let timedOut = NIOLockedValueBox(false)
        let killer = Task {
            try await Task.sleep(for: timeout)
            timedOut.withLockedValue { $0 = true }
            // SIGKILL: the child may have inherited a blocked SIGTERM from this process.
            kill(process.processIdentifier, SIGKILL)
        }
        var iterator = exited.stream.makeAsyncIterator()
        guard let status = await iterator.next() else {
            // Cancelled (shutdown gave up on the job): the child goes too, and the job is retried.
            kill(process.processIdentifier, SIGKILL)
            killer.cancel()
            _ = await (output, progress)
            throw CancellationError()
        }
        killer.cancel()
        _ = await progress
        return Result(status: status, output: await output, timedOut: timedOut.withLockedValue { $0 })
    }

    /// Reads until end of file; returns the last 2,000 characters, passing each line to `onLine`.
    private static func readTail(_ handle: FileHandle?, onLine: (@Sendable (Substring) -> Void)?) async -> String {
        guard let handle else { return "" }
        return await withCheckedContinuation { continuation in
            Thread {
                var tail = Data()
                var partial = Data()
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    tail.append(data)
                    if tail.count > 8192 { tail = tail.suffix(4096) }
                    if let onLine {
                        partial.append(data)
                        while let newline = partial.firstIndex(of: 10) {
                            onLine(Substring(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)))
                            partial = partial[(newline + 1)...]
                        }
                    }
                }
                continuation.resume(returning: String(String(decoding: tail, as: UTF8.self).suffix(2000)))
            }.start()
        }
    }
}
