import Testing
@testable import Shared

/// Prometheus names allow `[a-zA-Z0-9_:]`; names from libraries (swift-metrics labels) use dots.
@Suite struct MetricsNameTests {
    @Test func aValidNameIsKeptAsItIs() {
        #expect(MetricsSetup.sanitize("http_server_request_duration_seconds") == "http_server_request_duration_seconds")
        #expect(MetricsSetup.sanitize("job:rate_5m") == "job:rate_5m")
    }

    @Test func otherCharactersBecomeUnderscores() {
        #expect(MetricsSetup.sanitize("psql.connections.active") == "psql_connections_active")
        #expect(MetricsSetup.sanitize("a-b c/d") == "a_b_c_d")
        #expect(MetricsSetup.sanitize("") == "")
    }

    /// The shortcut for ASCII decides as the Unicode tables do for every ASCII character.
    @Test func theASCIIShortcutAgreesWithTheFullRule() {
        for scalar in (0..<128).compactMap(Unicode.Scalar.init) {
            let name = "m\(Character(scalar))x"
            let full = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
            #expect(MetricsSetup.sanitize(name) == full, "\(scalar.value)")
        }
    }
}
