import Foundation
import Testing
@testable import Shared

/// Logging never waits for the output: a stalled reader costs dropped lines, counted, not a
/// stalled caller.
@Suite struct LogWriterTests {
    /// Never read and never closed (closing it would end the writer's blocked write with EPIPE).
    static let stalled = Pipe()

    @Test func aStalledOutputDropsLinesInsteadOfBlockingTheCaller() throws {
        // A pipe nobody reads: its 64 KiB buffer fills and every write to it would block.
        let writer = LogWriter(handle: Self.stalled.fileHandleForWriting, maxBytes: 256 << 10)
        let line = Data(String(repeating: "x", count: 99).utf8 + [0x0A])
        // 1 MB of lines: four times the buffer, sixteen times the pipe.
        for _ in 0..<10_000 { writer.write(line) }
        #expect(writer.droppedTotal > 0)
        #expect(writer.droppedTotal < 10_000)
    }

    @Test func everyLineReachesAnOutputThatKeepsUp() throws {
        let pipe = Pipe()
        let writer = LogWriter(handle: pipe.fileHandleForWriting)
        for index in 0..<1000 { writer.write(Data("line \(index)\n".utf8)) }
        writer.flush()
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1000 && lines.first == "line 0" && lines.last == "line 999")
        #expect(writer.droppedTotal == 0)
    }
}
