import Foundation
import NIOCore

/// Splits a `multipart/form-data` body into parts as its bytes arrive, holding at most one
/// delimiter's worth of them back: a file part streams through in the chunks it came in, whatever
/// its size. Feed it every chunk, then call `finish` to learn whether the body was complete.
struct MultipartSplitter {
    enum Event: Equatable {
        /// A part begins; its `name` and `filename` from Content-Disposition.
        case part(name: String, filename: String?)
        case bytes(ByteBuffer)
        case partEnd
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private enum State { case preamble, afterDelimiter, headers, body, done }

    /// "\r\n--boundary": the body is given a leading CRLF so the first delimiter looks like the rest.
    private let delimiter: [UInt8]
    private let maxHeaderBytes: Int
    private var pending: ByteBuffer
    private var state = State.preamble

    init(boundary: String, maxHeaderBytes: Int = 8192) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxHeaderBytes = maxHeaderBytes
        pending = ByteBuffer(bytes: [13, 10])
    }

    /// The boundary from a Content-Type such as `multipart/form-data; boundary="x"`.
    static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            // RFC 2046: 1 to 70 characters.
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    var isComplete: Bool { state == .done }

    mutating func feed(_ chunk: ByteBuffer) throws -> [Event] {
        guard state != .done else { return [] }
        var chunk = chunk
        pending.writeBuffer(&chunk)
        var events: [Event] = []
        while true {
            switch state {
            case .preamble:
                guard let at = find(delimiter) else {
                    // Keep only what could still start the delimiter.
                    pending.moveReaderIndex(forwardBy: max(0, pending.readableBytes - (delimiter.count - 1)))
                    return events
                }
                pending.moveReaderIndex(forwardBy: at + delimiter.count)
                state = .afterDelimiter
            case .afterDelimiter:
                guard pending.readableBytes >= 2, let two = pending.getBytes(at: pending.readerIndex, length: 2) else { return events }
                if two == [45, 45] {  // "--": the closing delimiter
                    state = .done
                    pending.clear()
                    return events
                }
                guard two == [13, 10] else { throw Malformed(description: "a delimiter is not followed by CRLF") }
                pending.moveReaderIndex(forwardBy: 2)
                state = .headers
            case .headers:
                guard let end = find([13, 10, 13, 10]) else {
                    // Up to three bytes of the blank line may already be here: allowed headers
                    // must not be refused because a chunk ended inside their terminator.
                    guard pending.readableBytes <= maxHeaderBytes + 3 else { throw Malformed(description: "part headers too long") }
                    return events
                }
                guard end <= maxHeaderBytes else { throw Malformed(description: "part headers too long") }
                let text = pending.readString(length: end) ?? ""
                pending.moveReaderIndex(forwardBy: 4)
                events.append(try Self.part(headers: text))
                state = .body
            case .body:
                if let at = find(delimiter) {
                    if at > 0, let slice = pending.readSlice(length: at) { events.append(.bytes(slice)) }
                    pending.moveReaderIndex(forwardBy: delimiter.count)
                    events.append(.partEnd)
                    state = .afterDelimiter
                } else {
                    let safe = pending.readableBytes - (delimiter.count - 1)
                    if safe > 0, let slice = pending.readSlice(length: safe) { events.append(.bytes(slice)) }
                    pending.discardReadBytes()
                    return events
                }
            case .done:
                return events
            }
        }
    }

    /// The offset of `needle` in the pending bytes, from their reader index: memchr to each
    /// candidate first byte, then memcmp.
    private func find(_ needle: [UInt8]) -> Int? {
        pending.withUnsafeReadableBytes { haystack -> Int? in
            guard haystack.count >= needle.count, let base = haystack.baseAddress else { return nil }
            return needle.withUnsafeBytes { pattern -> Int? in
                let last = haystack.count - needle.count
                var start = 0
                while start <= last {
                    guard let hit = memchr(base + start, Int32(needle[0]), last - start + 1) else { return nil }
                    let at = UnsafeRawPointer(hit) - base
                    if memcmp(base + at, pattern.baseAddress!, needle.count) == 0 { return at }
                    start = at + 1
                }
                return nil
            }
        }
    }

    private static func part(headers: String) throws -> Event {
        for line in headers.split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" else { continue }
            var name: String?
            var filename: String?
            for parameter in pair[1].split(separator: ";").dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2 else { continue }
                let value = kv[1].hasPrefix("\"") && kv[1].hasSuffix("\"") && kv[1].count >= 2 ? String(kv[1].dropFirst().dropLast()) : kv[1]
                switch kv[0].lowercased() {
                case "name": name = value
                case "filename": filename = value
                default: break
                }
            }
            guard let name else { break }
            return .part(name: name, filename: filename)
        }
        throw Malformed(description: "a part has no Content-Disposition name")
    }
}
