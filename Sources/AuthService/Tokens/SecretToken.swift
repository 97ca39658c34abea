import Crypto
import Foundation

/// A 256-bit random token for a client to hold; the server keeps only its SHA-256.
struct SecretToken: Sendable {
    /// What the client gets (43 characters of base64url).
    let value: String

    init() {
        var generator = SystemRandomNumberGenerator()  // getrandom(2): cryptographically secure
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        value = Data(bytes).base64URLEncodedString()
    }

    init(value: String) {
        self.value = value
    }

    var digest: Data { Self.digest(of: value) }

    static func digest(of value: String) -> Data { Data(SHA256.hash(data: Data(value.utf8))) }

    /// A plausible token: 43 base64url characters. Anything else is refused before a lookup.
    static func isWellFormed(_ value: String) -> Bool {
        value.utf8.count == 43 && value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }
}
