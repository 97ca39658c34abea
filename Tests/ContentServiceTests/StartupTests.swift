import Testing
import TestSupport
@testable import ContentService

@Suite struct StartupTests {
    @Test func migratesAndAnswersProbes() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "content") { url in
            let probe = try await ServiceProbe.run(try buildApplication(reader: TestEnvironment.reader(databaseURL: url)), databaseURL: url, schema: "content")
            #expect(probe.health == .ok && probe.readiness == .ok)
            #expect(probe.metrics.contains("http_server_request_duration_seconds"))
            #expect(probe.migrations == 11)
        }
    }
}
