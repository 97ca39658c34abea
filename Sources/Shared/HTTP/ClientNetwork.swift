#if canImport(Glibc)
import Glibc
#endif

/// What a per-address limit counts by: an IPv4 address, or the /64 an IPv6 address belongs to.
/// One IPv6 subscriber gets a whole /64 (and picks any address in it at will), so keying on the
/// full address would give one client 2^64 quotas.
public enum ClientNetwork {
    public static func key(_ address: String) -> String {
        var ipv6 = in6_addr()
        guard address.contains(":"), inet_pton(AF_INET6, address, &ipv6) == 1 else { return address }
        let bytes = withUnsafeBytes(of: &ipv6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")  // IPv4-mapped
        }
        return bytes.prefix(8).hexString + "::/64"
    }
}
