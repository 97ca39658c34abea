import HummingbirdTesting
import Testing
import TestSupport
@testable import ContentService
@testable import Shared

@Suite struct StartupTests {
    @Test func migratesAndAnswersProbes() async throws {
        let url = try await TestEnvironment.scratchDatabase(prefix: "content")
        let app = try buildApplication(reader: TestEnvironment.reader(databaseURL: url))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("http_server_request_duration_seconds"))
            }
        }
        try await TestEnvironment.withDatabase(url: url) { db in
            let versions = try await db.query("SELECT version FROM content.schema_migrations", logger: TestEnvironment.logger)
            #expect(versions.count >= 1)
        }
    }
}
