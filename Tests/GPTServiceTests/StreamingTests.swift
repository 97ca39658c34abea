import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import GPTService

@Suite struct StreamingTests {
    struct Event: Sendable {
        var name: String?
        var data: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) as? [String: Any] ?? [:] }
        var raw: String
        var at: ContinuousClock.Instant
    }

    /// Reads the server-sent events of a streamed answer as they arrive, with their arrival times.
    func stream(_ server: GPTServer, _ question: String, accept: Bool = true, port: Int? = nil) async throws -> (status: Int, headers: [(String, String)], events: [Event]) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? server.port)/api/gpt/qna")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Real-IP", value: "192.0.2.77")
        if accept { request.headers.add(name: "Accept", value: "text/event-stream") }
        let body: [String: Any] = accept ? ["question": question] : ["question": question, "stream": true]
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response = try await GPTServer.client.execute(request, timeout: .seconds(30))
        var events: [Event] = []
        var pending = ""
        var name: String?
        for try await buffer in response.body {
            pending += String(buffer: buffer)
            while let end = pending.range(of: "\n") {
                let line = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") {
                    events.append(Event(name: name, raw: String(line.dropFirst(6)), at: .now))
                    name = nil
                }
            }
        }
        return (Int(response.status.code), response.headers.map { ($0.name, $0.value) }, events)
    }

    @Test func chunksArriveBeforeTheUpstreamFinishes() async throws {
        try await GPTServer.run(stubArguments: ["--stream-chunk-ms", "150"]) { server in
            let started = ContinuousClock.now
            let (status, headers, events) = try await stream(server, "stream this answer please")
            #expect(status == 200)
            #expect(headers.contains { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("text/event-stream") })
            #expect(headers.contains { $0.0 == "X-RateLimit-Remaining" })
            let deltas = events.filter { $0.name == nil }
            #expect(deltas.count >= 5)
            #expect(deltas.compactMap { $0.data["delta"] as? String }.joined() == "Stub answer to: stream this answer please")
            let done = try #require(events.last)
            #expect(done.name == "done" && done.data["source"] as? String == "upstream")
            // The first piece came long before the last: it was passed on, not collected.
            #expect(deltas[0].at - started < done.at - started - .milliseconds(400))
        }
    }

    @Test func cachedAnswersStreamAtOnce() async throws {
        try await GPTServer.run(stubArguments: ["--stream-chunk-ms", "100"]) { server in
            _ = try await server.ask("a cached streamed answer")
            let (status, _, events) = try await stream(server, "a cached streamed answer", accept: false)
            // The whole text in one event, not paced like the upstream's chunks.
            #expect(status == 200 && events.count == 2)
            #expect(events[0].data["delta"] as? String == "Stub answer to: a cached streamed answer")
            #expect(events[1].name == "done" && events[1].data["source"] as? String == "exact" && events[1].data["cached"] as? Bool == true)
        }
    }

    @Test func mergedFollowersGetTheSameStream() async throws {
        try await GPTServer.run(stubArguments: ["--stream-chunk-ms", "100"]) { server in
            async let first = stream(server, "one stream for two")
            try await Task.sleep(for: .milliseconds(150))
            async let second = stream(server, "one stream for two")
            let (a, b) = try await (first, second)
            let text = { (events: [Event]) in events.filter { $0.name == nil }.compactMap { $0.data["delta"] as? String }.joined() }
            #expect(text(a.events) == text(b.events) && !text(a.events).isEmpty)
            #expect(b.events.filter { $0.name == nil }.count >= 2)  // it joined mid-way and kept receiving
            #expect(a.events.last?.data["source"] as? String == "upstream")
            #expect(b.events.last?.data["source"] as? String == "merged")
            #expect(try await server.stub.stats().requests == 1)
        }
    }

    @Test func aRefusedStreamIsAPlainError() async throws {
        try await GPTServer.run(["GPT_QUOTA_ANONYMOUS": "0"]) { server in
            let (status, headers, _) = try await stream(server, "no quota for this")
            #expect(status == 429)
            #expect(headers.contains { $0.0.lowercased() == "retry-after" })
        }
    }
}
