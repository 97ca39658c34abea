import Foundation
import Testing
import TestSupport
@testable import GPTService

@Suite struct MergingTests {
    @Test func identicalQuestionsAcrossTwoInstancesMakeOneUpstreamCall() async throws {
        try await GPTServer.run(["GPT_QUOTA_ANONYMOUS": "1"], instances: 2, stubArguments: ["--latency-ms", "300"]) { server in
            let replies = try await withThrowingTaskGroup(of: GPTServer.Reply.self) { group in
                for i in 0..<100 {
                    // Spelled differently, the same question after normalisation.
                    let question = i % 2 == 0 ? "What is merging?" : "  what IS merging "
                    group.addTask { try await server.ask(question, address: "203.0.113.\(i + 1)", port: server.ports[i % 2]) }
                }
                return try await group.reduce(into: [GPTServer.Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 200 })
            #expect(Set(replies.compactMap(\.answer)).count == 1)
            #expect(try await server.stub.stats().requests == 1)
            let sources = Dictionary(grouping: replies.compactMap(\.source), by: { $0 }).mapValues(\.count)
            #expect(sources["upstream"] == 1)
            #expect((sources["merged"] ?? 0) + (sources["exact"] ?? 0) == 99)
            // Only the leader paid: every other address still has its one question.
            let paid = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<100 {
                    group.addTask { try await server.call(.GET, "/api/gpt/quota", address: "203.0.113.\(i + 1)").json["used"] as? Int ?? -1 }
                }
                return try await group.reduce(0, +)
            }
            #expect(paid == 1)
        }
    }

    @Test func identicalQuestionsAcrossTwoProcessesMakeOneUpstreamCall() async throws {
        try await GPTServer.run(stubArguments: ["--latency-ms", "300"]) { server in
            // A second GPTService, the real executable, sharing the stub, the Redis namespace and the model.
            let port = try TestEnvironment.freePort()
            let process = Process()
            process.executableURL = TestEnvironment.executable(named: "GPTService")
            var environment = ProcessInfo.processInfo.environment
            environment.merge(GPTServer.testSettings) { _, new in new }
            environment.merge([
                "HTTP_PORT": String(port), "DATABASE_URL": server.databaseURL, "REDIS_URL": TestEnvironment.redisURL,
                "OPENAI_BASE_URL": server.stub.baseURL, "OPENAI_MODEL": server.model, "GPT_KEY_PREFIX": server.keyPrefix,
                "LOG_LEVEL": "error",
            ]) { _, new in new }
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            try await TestProcess(starting: process).killed { try await askBoth(server, otherPort: port) }
        }
    }

    func askBoth(_ server: GPTServer, otherPort port: Int) async throws {
        try await server.waitUntilReady(port: port, path: "/readyz")
        let replies = try await withThrowingTaskGroup(of: GPTServer.Reply.self) { group in
            for i in 0..<100 {
                group.addTask { try await server.ask("Which process answers?", address: "203.0.113.\(i + 1)", port: i % 2 == 0 ? server.port : port) }
            }
            return try await group.reduce(into: [GPTServer.Reply]()) { $0.append($1) }
        }
        #expect(replies.allSatisfy { $0.status == 200 })
        #expect(try await server.stub.stats().requests == 1)
        #expect(replies.filter { $0.source == "upstream" }.count == 1)
    }

    @Test func followersGetTheFailureOfTheirLeader() async throws {
        try await GPTServer.run(stubArguments: ["--latency-ms", "200"]) { server in
            try await server.stub.configure(["failure_rate": 1.0, "failure_status": 503])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await server.ask("a failing question").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 503, count: 10))
            #expect(try await server.stub.stats().requests == 1)
        }
    }

    @Test func aLeaderThatHangsUpStillAnswersItsFollowers() async throws {
        try await GPTServer.run(stubArguments: ["--latency-ms", "400"]) { server in
            let leader = Task { try await server.ask("abandoned question") }
            try await Task.sleep(for: .milliseconds(100))
            let follower = Task { try await server.ask("abandoned question") }
            try await Task.sleep(for: .milliseconds(50))
            leader.cancel()
            let reply = try await follower.value
            #expect(reply.status == 200 && reply.answer == "Stub answer to: abandoned question")
            #expect(try await server.stub.stats().requests == 1)
        }
    }
}

/// The flights of one process, without a server: who leads and who follows.
@Suite struct InFlightAnswersTests {
    @Test func callersJoinAFlightUntilItFinishes() {
        let flights = InFlightAnswers()
        let (first, firstRole) = flights.join("d")
        let (second, secondRole) = flights.join("d")
        #expect(firstRole == .leader && secondRole == .follower && first === second)
        // Finished but not yet ended: the next caller leads a flight of its own.
        first.finish(.retry)
        let (third, thirdRole) = flights.join("d")
        #expect(thirdRole == .leader && third !== first)
        // The old leader's end leaves the new flight in place.
        flights.end("d", first)
        #expect(flights.join("d").1 == .follower)
        flights.end("d", third)
        #expect(flights.count == 0)
    }
}
