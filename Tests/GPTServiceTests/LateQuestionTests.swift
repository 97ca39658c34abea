import Foundation
import Testing
import TestSupport

/// Shedding by cost: a question that waited past `HTTP_MAX_QUEUE_MS` after nginx (its
/// `X-Request-Start` stamp) is still answered when a cache or a flight already under way can
/// answer it, and shed with 503 `overloaded` when only the model could; past
/// `HTTP_MAX_QUEUE_CACHED_MS` everything is shed.
@Suite struct LateQuestionTests {
    static func stamped(secondsAgo: Double) -> [String: String] {
        ["X-Request-Start": String(format: "t=%.3f", Date().timeIntervalSince1970 - secondsAgo)]
    }

    func ask(_ server: GPTServer, _ question: String, late seconds: Double) async throws -> GPTServer.Reply {
        try await server.call(.POST, "/api/gpt/qna", body: ["question": question], headers: Self.stamped(secondsAgo: seconds))
    }

    @Test func aLateQuestionIsAnsweredFromTheCacheOrAFlightAndNeverSentUpstream() async throws {
        try await GPTServer.run(["HTTP_MAX_QUEUE_MS": "300", "HTTP_MAX_QUEUE_CACHED_MS": "4000", "GPT_CACHE_SEMANTIC": "false"],
                                stubArguments: ["--latency-ms", "1000"]) { server in
            // Fresh stamps first: the service learns the proxy's clock from the shortest gap (on a
            // busy machine the first may have queued; the margins below allow a second of it).
            for _ in 0..<3 {
                #expect(try await server.call(.GET, "/api/gpt/quota", headers: Self.stamped(secondsAgo: 0)).status == 200)
            }
            #expect(try await server.ask("What does a cache hold?").status == 200)

            let hit = try await ask(server, "What does a cache hold?", late: 1.5)
            #expect(hit.status == 200, "\(hit.body)")
            #expect(hit["source"] == "exact")

            // A late caller who asks past the cache (no-cache) wants the model: shed.
            var noCache = Self.stamped(secondsAgo: 1.5)
            noCache["Cache-Control"] = "no-cache"
            let fresh503 = try await server.call(.POST, "/api/gpt/qna", body: ["question": "What does a cache hold?"], headers: noCache)
            #expect(fresh503.status == 503 && fresh503.errorCode == "overloaded")

            let new = try await ask(server, "What has nobody asked yet?", late: 1.5)
            #expect(new.status == 503)
            #expect(new.errorCode == "overloaded")
            #expect(new.header("Retry-After") == "1")

            // A question on its way to the model: a late caller follows it.
            let leader = Task { try await server.ask("What is on its way?") }
            #expect(try await eventually { try await server.stub.stats().in_flight == 1 })
            let follower = try await ask(server, "What is on its way?", late: 1.5)
            #expect(follower.status == 200, "\(follower.body)")
            #expect(follower["source"] == "merged")
            #expect(try await leader.value.status == 200)

            // Too late even for the cache.
            let tooLate = try await ask(server, "What does a cache hold?", late: 8)
            #expect(tooLate.status == 503)
            #expect(tooLate.errorCode == "overloaded")

            // The model was asked twice: the first question and the one the follower joined.
            #expect(try await server.stub.stats().requests == 2)
        }
    }

    /// Only the question route answers late; elsewhere a late request is shed as before.
    @Test func otherRoutesShedALateRequest() async throws {
        try await GPTServer.run(["HTTP_MAX_QUEUE_MS": "300", "HTTP_MAX_QUEUE_CACHED_MS": "4000"]) { server in
            for _ in 0..<3 {
                #expect(try await server.call(.GET, "/api/gpt/quota", headers: Self.stamped(secondsAgo: 0)).status == 200)
            }
            let late = try await server.call(.GET, "/api/gpt/quota", headers: Self.stamped(secondsAgo: 1.5))
            #expect(late.status == 503)
            #expect(late.errorCode == "overloaded")
        }
    }
}
