import Foundation
import Testing
import TestSupport
@testable import GPTService

@Suite struct UpstreamFailureTests {
    @Test func retriesHonourTheUpstreamsRetryAfter() async throws {
        let clock = TestClock()
        try await GPTServer.run(["GPT_UPSTREAM_RETRIES": "2"], stubArguments: ["--retry-after", "1"], clock: clock) { server in
            try await server.stub.configure(["failure_rate": 1.0, "failure_status": 429])
            let reply = try await server.ask("always rate limited")
            #expect(reply.status == 503 && reply.errorCode == "upstream_unavailable")
            #expect(try await server.stub.stats().requests == 3)
            // Two waits of at least the upstream's one second each, made on the service's clock.
            #expect(clock.advanced >= .seconds(2))
        }
    }

    @Test func aRetryThatSucceedsAnswers() async throws {
        try await GPTServer.run(["GPT_UPSTREAM_RETRIES": "2"]) { server in
            try await server.stub.configure(["fail_next": 2, "failure_status": 500, "retry_after": 0])
            let reply = try await server.ask("flaky question")
            #expect(reply.status == 200 && reply.source == "upstream")
            #expect(try await server.stub.stats().requests == 3)
            #expect(try await server.call(.GET, "/api/gpt/quota").json["used"] as? Int == 1)
        }
    }

    /// A 200 whose body is no stream of chunks (an HTML page, bytes that are not UTF-8) is a
    /// failure, not an empty answer: 503, nothing cached, the quota unit given back.
    @Test func garbageFromTheUpstreamIsAFailureAndIsNeverCached() async throws {
        try await GPTServer.run(["GPT_UPSTREAM_RETRIES": "1"]) { server in
            try await server.stub.configure(["garbage": true])
            let reply = try await server.ask("what does garbage answer?")
            #expect(reply.status == 503 && reply.errorCode == "upstream_unavailable", "\(reply.status) \(reply.body)")
            #expect(try await server.stub.stats().requests == 2)  // retried once: nothing had been streamed
            #expect(try await server.call(.GET, "/api/gpt/quota").json["used"] as? Int == 0)
            try await server.stub.configure(["garbage": false])
            let after = try await server.ask("what does garbage answer?")
            #expect(after.status == 200 && after.source == "upstream")
            #expect(after["answer"]?.isEmpty == false)
        }
    }

    @Test func theBreakerFailsFastWhileTheUpstreamIsDownAndRecovers() async throws {
        let clock = TestClock()
        try await GPTServer.run(["GPT_BREAKER_FAILURES": "3", "GPT_BREAKER_COOLDOWN_MS": "60000"], clock: clock) { server in
            try await server.stub.configure(["failure_rate": 1.0, "failure_status": 500])
            for i in 0..<3 { #expect(try await server.ask("down \(i)").status == 503) }
            #expect(try await server.stub.stats().requests == 3)
            let fast = try await server.ask("down again")
            #expect(fast.status == 503 && fast.errorCode == "upstream_unavailable")
            #expect((1...60).contains(Int(fast.header("Retry-After") ?? "") ?? 0))
            #expect(try await server.stub.stats().requests == 3)  // not even tried
            try await server.stub.configure(["failure_rate": 0.0])
            // Still open before the cool-down ends, though the upstream is back...
            clock.advance(by: .seconds(50))
            #expect(try await server.ask("not yet").status == 503)
            #expect(try await server.stub.stats().requests == 3)
            // ...and past it, one probe closes it again.
            clock.advance(by: .milliseconds(10_001))
            #expect(try await server.ask("back up").status == 200)
            #expect(try await server.ask("back up for good").status == 200)
        }
    }

    @Test func aSlowUpstreamEndsAtTheDeadline() async throws {
        try await GPTServer.run(["GPT_UPSTREAM_TIMEOUT_MS": "500"], stubArguments: ["--latency-ms", "10000"]) { server in
            let started = ContinuousClock.now
            let reply = try await server.ask("a very slow answer")
            #expect(reply.status == 503 && reply.errorCode == "upstream_unavailable")
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(try await server.call(.GET, "/api/gpt/quota").json["used"] as? Int == 0)
        }
    }

    @Test func admissionTurnsAwayWhatCannotBeServedInTime() async throws {
        try await GPTServer.run(["GPT_UPSTREAM_CONCURRENCY": "2", "GPT_UPSTREAM_MAX_WAIT_MS": "100"], stubArguments: ["--latency-ms", "600"]) { server in
            let replies = try await withThrowingTaskGroup(of: GPTServer.Reply.self) { group in
                for i in 0..<6 { group.addTask { try await server.ask("distinct slow question \(i)") } }
                return try await group.reduce(into: [GPTServer.Reply]()) { $0.append($1) }
            }
            #expect(replies.filter { $0.status == 200 }.count == 2)
            let shed = replies.filter { $0.status == 503 }
            #expect(shed.count == 4 && shed.allSatisfy { $0.errorCode == "overloaded" && $0.header("Retry-After") == "1" })
            #expect(try await server.stub.stats().max_in_flight <= 2)
        }
    }

    @Test func redisDownFailsClosed() async throws {
        try await GPTServer.run(["REDIS_URL": "redis://127.0.0.1:1", "REDIS_TIMEOUT_MS": "200"], readiness: false) { server in
            let reply = try await server.ask("is redis there")
            #expect(reply.status == 503 && reply.header("Retry-After") != nil)
            #expect(try await server.stub.stats().requests == 0)
            #expect(try await server.call(.GET, "/readyz").status == 503)
        }
    }
}
