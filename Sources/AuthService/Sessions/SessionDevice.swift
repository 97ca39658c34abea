import Foundation
import Shared

/// What a session remembers of where it began, for its owner's list of sessions: the browser's
/// User-Agent (cut short, control characters out) and the client's network, never the address
/// itself (an IPv4 /24, an IPv6 /48).
struct SessionDevice: Sendable, Equatable {
    static let maxUserAgent = 200
    /// A session started with nothing to remember (a command-line tool's).
    static let unknown = SessionDevice(stored: "", network: "")

    var userAgent: String
    var network: String

    init(userAgent: String?, address: String?) {
        self.userAgent = (userAgent ?? "").removingInvisibles().replacingOccurrences(of: "\n", with: " ")
            .prefix(scalars: Self.maxUserAgent, bytes: 4 * Self.maxUserAgent)
        network = address.map(Self.coarse) ?? ""
    }

    /// As stored with the session.
    init(stored userAgent: String, network: String) {
        self.userAgent = userAgent
        self.network = network
    }

    init(origin: AuditOrigin) {
        self.init(userAgent: origin.userAgent, address: origin.clientAddress)
    }

    /// `203.0.113.0/24` for `203.0.113.7`; `2001:db8:1::/48` for an IPv6 address.
    static func coarse(_ address: String) -> String {
        let key = ClientNetwork.key(address)
        if key.hasSuffix("::/64") {
            let hex = key.dropLast(5)
            let groups = stride(from: 0, to: 12, by: 4).map { offset -> String in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                let group = hex[start..<hex.index(start, offsetBy: 4)].drop { $0 == "0" }
                return group.isEmpty ? "0" : String(group)
            }
            return groups.joined(separator: ":") + "::/48"
        }
        let octets = key.split(separator: ".")
        guard octets.count == 4 else { return "" }
        return octets.prefix(3).joined(separator: ".") + ".0/24"
    }
}
