import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport

/// A private `deploy/llm-stub.py` for one test, on its own port, so its call counts and its
/// switches (latency, failures) belong to that test alone.
struct LLMStub: Sendable {
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/llm-stub.py").path

    static func run<T: Sendable>(_ arguments: [String] = [], _ body: (LLMStub) async throws -> T) async throws -> T {
        let port = try TestEnvironment.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--port", String(port), "--latency-ms", "0", "--stream-chunk-ms", "0"] + arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // Killed at the end: the stub keeps nothing worth a graceful stop.
        return try await TestProcess(starting: process).killed { try await whenStarted(LLMStub(port: port), body) }
    }

    private static func whenStarted<T: Sendable>(_ stub: LLMStub, _ body: (LLMStub) async throws -> T) async throws -> T {
        for _ in 0..<200 {
            if (try? await stub.get("/v1/models")) != nil { return try await body(stub) }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("the LLM stub did not start on port \(stub.port)")
    }

    struct Stats: Decodable, Sendable {
        var requests: Int
        var embeddings: Int
        var in_flight: Int
        var max_in_flight: Int
    }

    func stats() async throws -> Stats {
        try JSONDecoder().decode(Stats.self, from: Data(try await get("/stats").utf8))
    }

    /// Changes the stub's switches (`latency_ms`, `failure_rate`, `failure_status`, `answer`, ...).
    func configure(_ values: [String: Any]) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/config")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: values)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        guard response.status == .ok else { throw TestFailure("stub config answered \(response.status)") }
    }

    private func get(_ path: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(5))
        guard response.status == .ok else { throw TestFailure("stub \(path) answered \(response.status)") }
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }
}
