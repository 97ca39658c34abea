import NIOCore

/// A page as sent, and how many items it holds (for the search events, without decoding it).
struct RenderedPage: Sendable {
    var body: ByteBuffer
    var itemCount: Int

    /// As kept in Redis: the count, a newline, then the JSON.
    var stored: String { "\(itemCount)\n" + String(buffer: body) }

    init(body: ByteBuffer, itemCount: Int) {
        self.body = body
        self.itemCount = itemCount
    }

    init?(stored: String) {
        guard let newline = stored.utf8.firstIndex(of: UInt8(ascii: "\n")),
              let count = Int(Substring(stored.utf8[..<newline]))
        else { return nil }
        body = ByteBuffer(substring: Substring(stored.utf8[stored.utf8.index(after: newline)...]))
        itemCount = count
    }
}
