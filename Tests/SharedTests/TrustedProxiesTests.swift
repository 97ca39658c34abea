import Testing
@testable import Shared

/// Whose X-Real-IP a service believes, and what it makes of the header.
@Suite struct TrustedProxiesTests {
    @Test func onlyTrustedPeersMayNameTheClientAndOnlyWithAnAddress() throws {
        let proxies = try TrustedProxies("127.0.0.1, ::1, 10.1.0.0/16")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: "203.0.113.9") == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "10.1.200.3", forwarded: "203.0.113.9") == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "::1", forwarded: " 2001:DB8:0:0::1 ") == "2001:db8::1")
        // Anyone else keeps their own address, whatever they claim.
        #expect(proxies.clientAddress(peer: "10.2.0.1", forwarded: "203.0.113.9") == "10.2.0.1")
        #expect(proxies.clientAddress(peer: "198.51.100.7", forwarded: "127.0.0.1") == "198.51.100.7")
        // A header that is not one address is ignored.
        for junk in ["", "nonsense", "203.0.113.9, 10.0.0.1", "203.0.113.9:443", "999.1.1.1", "' OR 1=1"] {
            #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: junk) == "127.0.0.1", "\(junk)")
        }
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: nil) == "127.0.0.1")
        #expect(try TrustedProxies("").clientAddress(peer: "127.0.0.1", forwarded: "203.0.113.9") == "127.0.0.1")
    }

    @Test func rangesMatchByPrefix() throws {
        let proxies = try TrustedProxies("192.168.0.0/23,fd00::/8")
        #expect(proxies.trusts("192.168.1.255") && !proxies.trusts("192.168.2.0"))
        #expect(proxies.trusts("fd12:3456::1") && !proxies.trusts("fe80::1"))
        #expect(!proxies.trusts("::ffff:192.168.1.1") && !proxies.trusts("garbage"))
        #expect(throws: ConfigurationError.self) { try TrustedProxies("10.0.0.0/33") }
        #expect(throws: ConfigurationError.self) { try TrustedProxies("nginx.local") }
    }
}
