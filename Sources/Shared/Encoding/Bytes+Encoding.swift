import Crypto
import Foundation

extension Sequence where Element == UInt8 {
    /// Lower-case hex, two digits a byte: digests in Redis keys, checksums, script SHAs.
    public var hexString: String {
        withContiguousStorageIfAvailable { Hex.lowercase(UnsafeRawBufferPointer($0)) }
            ?? Array(self).withUnsafeBytes(Hex.lowercase)
    }
}

extension Digest {
    /// As for any bytes, but straight from the digest's storage: a digest iterated as a
    /// `Sequence` copies itself into an array first, and cache keys hash every question.
    public var hexString: String { withUnsafeBytes(Hex.lowercase) }
}

enum Hex {
    static func lowercase(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, byte) in bytes.enumerated() {
                out[2 * i] = digit(byte >> 4)
                out[2 * i + 1] = digit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }

    private static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }
}

extension Date {
    /// Whole milliseconds since 1970, rounded down: the clock Redis scripts and tokens compare.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}
