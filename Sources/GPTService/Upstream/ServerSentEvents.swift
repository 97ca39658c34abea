import NIOCore

/// Splits a `text/event-stream` body into the data of its events, across buffer boundaries.
/// The upstream's bytes, so bounded: a line or an event longer than `maxEventBytes` is a broken
/// stream, not a reason to grow without end.
struct ServerSentEvents {
    static let maxEventBytes = 1 << 20

    struct TooLong: Error {}

    private var pending: [UInt8] = []
    private var data: [String] = []
    private var dataBytes = 0

    mutating func feed(_ buffer: ByteBuffer) throws -> [String] {
        pending.append(contentsOf: buffer.readableBytesView)
        var events: [String] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[start..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            start = newline + 1
            if line.isEmpty {
                if !data.isEmpty { events.append(data.joined(separator: "\n")) }
                data.removeAll()
                dataBytes = 0
            } else if line.starts(with: Array("data:".utf8)) {
                var value = String(decoding: line.dropFirst(5), as: UTF8.self)
                if value.hasPrefix(" ") { value.removeFirst() }
                dataBytes += value.utf8.count
                guard dataBytes <= Self.maxEventBytes else { throw TooLong() }
                data.append(value)
            }
        }
        // One removal per buffer, not one per line.
        pending.removeSubrange(..<start)
        guard pending.count <= Self.maxEventBytes else { throw TooLong() }
        return events
    }
}
