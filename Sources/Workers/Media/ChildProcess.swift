import Foundation
import NIOConcurrencyHelpers

/// Runs a program to completion without blocking a thread, killing it after `timeout`.
enum ChildProcess {
    struct Result: Sendable {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    static func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        // Read output as it comes (a full pipe would stall the child) on a thread of its own: the
        // read blocks, and tasks run on the event loops.
        async let output = readToEnd(pipe.fileHandleForReading)
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
            _ = await output
            throw CancellationError()
        }
        killer.cancel()
        return Result(status: status, output: String(await output.suffix(2000)), timedOut: timedOut.withLockedValue { $0 })
    }

    private static func readToEnd(_ handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)) }.start()
        }
    }
}
