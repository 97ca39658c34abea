import Shared
import Testing
import TestSupport
@testable import Workers

@Suite struct StartupTests {
    @Test func migratesAndAnswersProbes() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "audit") { url in
            let probe = try await ServiceProbe.run(try buildApplication(reader: TestEnvironment.reader(databaseURL: url)), databaseURL: url, schema: "audit")
            #expect(probe.health == .ok && probe.readiness == .ok)
            #expect(probe.metrics.contains("http_server_request_duration_seconds"))
            #expect(probe.migrations == 3)
        }
    }

    /// Without Auth's `MAIL_LINK_SECRET` the email queue's links cannot be opened: a worker for
    /// that queue refuses to start; one for the other queues does not need it.
    @Test func theEmailQueueNeedsTheMailLinkSecret() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "audit") { url in
            let error = #expect(throws: ConfigurationError.self) {
                _ = try buildApplication(reader: TestEnvironment.reader(databaseURL: url, ["MAIL_LINK_SECRET": ""]))
            }
            #expect(error?.description.contains("MAIL_LINK_SECRET") == true)
            _ = try buildApplication(reader: TestEnvironment.reader(databaseURL: url, ["MAIL_LINK_SECRET": ""]), queues: ["thumbnail", "transcode"])
        }
    }
}
