import Testing
import TestSupport
@testable import Workers

@Suite struct StartupTests {
    @Test func migratesAndAnswersProbes() async throws {
        let url = try await TestEnvironment.scratchDatabase(prefix: "audit")
        let probe = try await ServiceProbe.run(try buildApplication(reader: TestEnvironment.reader(databaseURL: url)), databaseURL: url, schema: "audit")
        #expect(probe.health == .ok && probe.readiness == .ok)
        #expect(probe.metrics.contains("http_server_request_duration_seconds"))
        #expect(probe.migrations == 3)
    }
}
