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
        // One contiguous copy of the arguments, so every argv pointer stays valid for the call.
        var flat: [UInt8] = []
        flat.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var offsets: [Int] = []
        offsets.reserveCapacity(parts.count)
        for part in parts {
            offsets.append(flat.count)
            flat += part
        }
        let lengths = parts.map(\.count)
        flat.withUnsafeBufferPointer { storage in
            let base = UnsafeRawPointer(storage.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
            var target: UnsafeMutablePointer<CChar>?
            let length = argv.withUnsafeMutableBufferPointer { argvPointer in
                lengths.withUnsafeBufferPointer { lengthPointer in
                    redisFormatCommandArgv(&target, Int32(parts.count), argvPointer.baseAddress, lengthPointer.baseAddress)
                }
            }
            guard length > 0, let target else { fatalError("hiredis could not format a command (out of memory)") }
            defer { redisFreeCommand(target) }
            buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
        }
    }
}
