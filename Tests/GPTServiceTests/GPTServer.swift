import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared
import TestSupport
@testable import GPTService

/// One or more live GPTService instances sharing a scratch database, a Redis namespace, a model
/// name and an LLM stub, with a JWKS endpoint of their own so tests can mint any caller's token.
struct GPTServer: Sendable {
    let ports: [Int]
    let databaseURL: String
    let stub: LLMStub
    let keyPrefix: String
    let model: String
    let tokens: TestTokenIssuer

    var port: Int { ports[0] }

    /// Settings for tests: generous quotas and burst unless a test sets its own.
    static let testSettings = [
        "GPT_QUOTA_ANONYMOUS": "1000", "GPT_QUOTA_UNVERIFIED": "1000", "GPT_QUOTA_VERIFIED": "1000",
        "GPT_BURST_LIMIT": "100000", "AUTH_REVOCATION_CACHE_MS": "0", "GPT_UPSTREAM_RETRIES": "0",
        "GPT_ADDRESS_SECRET": "test-address-secret-0123456789abcdef",
    ]

    /// - Parameter readiness: wait for `/readyz` (false: only for `/healthz`, when a test takes a
    ///   dependency away).
    ///   - clock: the instances' time, for a test that moves it past a cool-down.
    static func run<T: Sendable>(_ overrides: [String: String] = [:], instances: Int = 1, stubArguments: [String] = [],
                                 readiness: Bool = true, clock: TestClock? = nil,
                                 _ body: @escaping @Sendable (GPTServer) async throws -> T) async throws -> T {
        // A few at a time: each brings a stub process, a scratch database and servers, and the
        // rest of the suite's timing tests share the same two cores.
        await slots.wait()
        do {
            let result = try await start(overrides, instances: instances, stubArguments: stubArguments, readiness: readiness,
                                         clock: clock?.service ?? .system, body)
            await slots.signal()
            return result
        } catch {
            await slots.signal()
            throw error
        }
    }

    static let slots = TestSlots(2)

    private static func start<T: Sendable>(_ overrides: [String: String], instances: Int, stubArguments: [String],
                                           readiness: Bool, clock: ServiceClock, _ body: @escaping @Sendable (GPTServer) async throws -> T) async throws -> T {
        try await LLMStub.run(stubArguments) { stub in
            return try await TestEnvironment.withScratchDatabase(prefix: "gpt") { url in
                let ports = try (0..<instances).map { _ in try TestEnvironment.freePort() }
                let tokens = try TestTokenIssuer()
                let unique = UUID().uuidString.prefix(8).lowercased()
                let server = GPTServer(ports: ports, databaseURL: url, stub: stub, keyPrefix: "gpttest-\(unique)", model: "model-\(unique)", tokens: tokens)

                var apps: [any Service] = [tokens.application()]
                for port in ports {
                    var settings = testSettings
                    settings.merge([
                        "HTTP_PORT": String(port), "JWKS_URL": tokens.jwksURL,
                        "OPENAI_BASE_URL": stub.baseURL, "OPENAI_MODEL": server.model, "GPT_KEY_PREFIX": server.keyPrefix,
                    ]) { _, new in new }
                    settings.merge(overrides) { _, new in new }
                    apps.append(try buildApplication(reader: TestEnvironment.reader(databaseURL: url, settings), clock: clock))
                }
                return try await TestEnvironment.whileRunning(apps) {
                    for port in ports { try await server.waitUntilReady(port: port, path: readiness ? "/readyz" : "/healthz") }
                    return try await body(server)
                }
            }
        }
    }

    func waitUntilReady(port: Int, path: String) async throws {
        for _ in 0..<200 {
            if let reply = try? await call(.GET, path, port: port), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("GPTService did not become ready on port \(port)")
    }

    /// An access token as AuthService would sign it.
    func token(user: String = "user-\(UUID().uuidString.prefix(8))", role: Identity.Role = .user, verified: Bool = true) async throws -> String {
        try await tokens.token(user: user, role: role, verified: verified)
    }

    /// Enough connections for the concurrency tests: the shared client's eight per host would
    /// queue the rest behind the first answers, and they would find the cache, not the flight.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
        connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)))

    typealias Reply = HTTPReply

    func call(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, rawBody: String? = nil, token: String? = nil,
              address: String = "192.0.2.10", headers: [String: String] = [:], port: Int? = nil) async throws -> Reply {
        try await HTTPReply.send(method, "http://127.0.0.1:\(port ?? self.port)\(path)", json: body, rawJSON: rawBody, token: token,
                                 address: address, headers: headers, client: Self.client)
    }

    /// Asks a question the plain way.
    func ask(_ question: String, token: String? = nil, address: String = "192.0.2.10", noCache: Bool = false, port: Int? = nil) async throws -> Reply {
        try await call(.POST, "/api/gpt/qna", body: ["question": question], token: token, address: address,
                       headers: noCache ? ["Cache-Control": "no-cache"] : [:], port: port)
    }


    /// The `gpt.asked` events enqueued so far, as their payloads.
    func ledger() async throws -> [[String: String]] {
        try await TestEnvironment.withDatabase(url: databaseURL) { db in
            try await db.query("""
                SELECT e.event->>'payload' FROM queue.jobs j, jsonb_array_elements(j.payload) WITH ORDINALITY AS e(event, n)
                WHERE j.kind = 'audit.events' AND e.event->>'action' = 'gpt.asked' ORDER BY j.id, e.n
                """, logger: TestEnvironment.logger)
                .map { try $0.decode(String.self) }
                .map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String] ?? [:] }
        }
    }
}

extension GPTServer {
    /// A Redis client on the test server, for looking at what the service stored.
    func withRedis<T: Sendable>(_ body: (RedisClient) async throws -> T) async throws -> T {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL, poolSize: 1), logger: TestEnvironment.logger)
        do {
            let result = try await body(redis)
            await redis.shutdown()
            return result
        } catch {
            await redis.shutdown()
            throw error
        }
    }
}

extension HTTPReply {
    var source: String? { self["source"] }
    var answer: String? { self["answer"] }
}
