import CHiredis
import NIOCore

/// A command and its arguments, binary-safe.
public struct RedisCommand: Sendable {
    public var parts: [[UInt8]]

    public init(_ name: String, _ arguments: [String] = []) {
        parts = [Array(name.utf8)] + arguments.map { Array($0.utf8) }
    }

    public init(parts: [[UInt8]]) {
        precondition(!parts.isEmpty, "a Redis command needs a name")
        self.parts = parts
    }

    /// Appends the RESP encoding made by hiredis' formatter to `buffer`.
    func encode(into buffer: inout ByteBuffer) {
        // One scratch allocation holds a copy of the arguments, their pointers and their lengths,
        // so every argv pointer is valid for the call.
        let count = parts.count
        let total = parts.reduce(0) { $0 + $1.count }
        let scratch = UnsafeMutableRawPointer.allocate(
            byteCount: count * (MemoryLayout<UnsafePointer<CChar>?>.stride + MemoryLayout<Int>.stride) + total,
            alignment: MemoryLayout<Int>.alignment)
        defer { scratch.deallocate() }
        let argv = scratch.bindMemory(to: UnsafePointer<CChar>?.self, capacity: count)
        let lengths = (scratch + count * MemoryLayout<UnsafePointer<CChar>?>.stride).bindMemory(to: Int.self, capacity: count)
        var cursor = scratch + count * (MemoryLayout<UnsafePointer<CChar>?>.stride + MemoryLayout<Int>.stride)
        for (index, part) in parts.enumerated() {
            part.withUnsafeBytes { cursor.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(cursor), byteCount: $0.count) }
            argv[index] = UnsafePointer(cursor.assumingMemoryBound(to: CChar.self))
            lengths[index] = part.count
            cursor += part.count
        }
        var target: UnsafeMutablePointer<CChar>?
        let length = redisFormatCommandArgv(&target, Int32(count), argv, lengths)
        guard length > 0, let target else { fatalError("hiredis could not format a command (out of memory)") }
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
        redisFreeCommand(target)
    }
}
