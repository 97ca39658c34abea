import Foundation

/// The peers whose `X-Real-IP` is believed: nginx, by default on the same machine. A request
/// from anyone else keeps the address it came from, so a client that reaches a service port
/// directly can neither dodge per-address limits nor put another address in the audit table.
public struct TrustedProxies: Sendable, Equatable {
    /// Address ranges as (network bytes, prefix length); 4 bytes for IPv4, 16 for IPv6.
    let ranges: [(bytes: [UInt8], prefix: Int)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.ranges.map(\.bytes) == rhs.ranges.map(\.bytes) && lhs.ranges.map(\.prefix) == rhs.ranges.map(\.prefix)
    }

    /// `list`: comma-separated addresses or CIDR ranges (`127.0.0.1,::1,10.0.0.0/8`); an empty
    /// list trusts nobody.
    public init(_ list: String) throws {
        var ranges: [(bytes: [UInt8], prefix: Int)] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.parse(parts[0]) else { throw ConfigurationError("TRUSTED_PROXIES: \(entry) is not an address or range") }
            let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let prefix, (0...(bytes.count * 8)).contains(prefix) else {
                throw ConfigurationError("TRUSTED_PROXIES: \(entry) has a bad prefix length")
            }
            ranges.append((bytes, prefix))
        }
        self.ranges = ranges
    }

    public static let loopback = try! TrustedProxies("127.0.0.1,::1")

    public func trusts(_ address: String) -> Bool {
        guard let bytes = Self.parse(address) else { return false }
        return ranges.contains { range in
            guard range.bytes.count == bytes.count else { return false }
            var left = range.prefix
            for (a, b) in zip(range.bytes, bytes) {
                guard left > 0 else { return true }
                let bits = min(8, left)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                left -= bits
            }
            return true
        }
    }

    /// The address a request is from: its forwarded address when the peer is trusted and the
    /// header holds one valid IP address (in its canonical form), otherwise the peer's own.
    public func clientAddress(peer: String?, forwarded: String?) -> String? {
        guard let peer, trusts(peer), let forwarded else { return peer }
        let candidate = forwarded.trimmingWhitespace()
        guard let bytes = Self.parse(candidate) else { return peer }
        return Self.format(bytes)
    }

    /// An IPv4 or IPv6 address's bytes, by inet_pton: nothing but an address parses.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    static func format(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
