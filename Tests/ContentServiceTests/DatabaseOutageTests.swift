import Foundation
import Testing
import TestSupport

/// Postgres dies under a running service: requests are answered 503 with `Retry-After` within the
/// acquisition deadline, `/readyz` says which dependency failed, and the service recovers on its
/// own when Postgres is back.
@Suite struct ServiceDatabaseOutageTests {
    @Test func postgresGoingAwayIsA503ThenRecovers() async throws {
        let url = URLComponents(string: TestEnvironment.databaseURL)!
        let proxy = try await CuttableProxy(toHost: url.host ?? "127.0.0.1", port: url.port ?? 5432)
        defer { Task { await proxy.stop() } }
        try await ContentServer.run(["DATABASE_ACQUIRE_TIMEOUT_MS": "1000"], databaseProxy: proxy) { server in
            let author = try await server.caller()
            try await server.post("before the outage", as: author)

            proxy.cut()
            let started = ContinuousClock.now
            var reply = try await server.call(.POST, "/api/posts", json: ["title": "during the outage", "body": ""], as: author)
            if reply.status != 503 {  // the first may meet the cut connection itself
                reply = try await server.call(.POST, "/api/posts", json: ["title": "during the outage", "body": ""], as: author)
            }
            #expect(reply.status == 503, "\(reply.status) \(reply.body)")
            #expect(reply.errorCode == "unavailable")
            #expect(reply.header("Retry-After") != nil)
            #expect(ContinuousClock.now - started < .seconds(4))

            let ready = try await server.call(.GET, "/readyz")
            #expect(ready.status == 503)
            #expect((ready.json["checks"] as? [String: String])?["postgres"] == "failed", "\(ready.body)")

            proxy.restore()
            var recovered = false
            for _ in 0..<100 where !recovered {
                recovered = try await server.call(.GET, "/readyz").status == 200
                if !recovered { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(recovered)
            try await server.post("after the outage", as: author)
        }
    }
}
