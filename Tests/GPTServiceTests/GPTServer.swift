import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Shared
import TestSupport
@testable import GPTService

/// One or more live GPTService instances sharing a scratch database, a Redis namespace, a model
/// name and an LLM stub, with a JWKS endpoint of their own so tests can mint any caller's token.
struct GPTServer: Sendable {
    let live: LiveService
    let stub: LLMStub
    let keyPrefix: String
    let model: String

    var port: Int { live.port }
    var ports: [Int] { live.ports }
    var databaseURL: String { live.databaseURL }

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
        try await slots.withSlot {
            try await LLMStub.run(stubArguments) { stub in
                let unique = UUID().uuidString.prefix(8).lowercased()
                let keyPrefix = "gpttest-\(unique)", model = "model-\(unique)"
                var settings = testSettings
                settings.merge(["OPENAI_BASE_URL": stub.baseURL, "OPENAI_MODEL": model, "GPT_KEY_PREFIX": keyPrefix]) { _, new in new }
                return try await LiveService.run("gpt", settings: settings, overrides: overrides, instances: instances,
                                                 readiness: readiness ? "/readyz" : "/healthz", clock: clock,
                                                 build: { try buildApplication(reader: $0, clock: $1) }) { live in
                    try await body(GPTServer(live: live, stub: stub, keyPrefix: keyPrefix, model: model))
                }
            }
        }
    }

    static let slots = TestSlots(2)

    func waitUntilReady(port: Int, path: String) async throws {
        try await LiveService.waitUntilReady("GPTService", port: port, path: path)
    }

    /// An access token as AuthService would sign it.
    func token(user: String = "user-\(UUID().uuidString.prefix(8))", role: Identity.Role = .user, verified: Bool = true) async throws -> String {
        try await live.tokens!.token(user: user, role: role, verified: verified)
    }

    static var client: HTTPClient { LiveService.client }

    typealias Reply = HTTPReply

    func call(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, rawBody: String? = nil, token: String? = nil,
              address: String = "192.0.2.10", headers: [String: String] = [:], port: Int? = nil) async throws -> Reply {
        try await live.send(method, path, json: body, rawJSON: rawBody, token: token, address: address, headers: headers, port: port)
    }

    /// Asks a question the plain way.
    func ask(_ question: String, token: String? = nil, address: String = "192.0.2.10", noCache: Bool = false, port: Int? = nil) async throws -> Reply {
        try await call(.POST, "/api/gpt/qna", body: ["question": question], token: token, address: address,
                       headers: noCache ? ["Cache-Control": "no-cache"] : [:], port: port)
    }

    /// The `gpt.asked` events enqueued so far, as their payloads.
    func ledger() async throws -> [[String: String]] {
        try await live.withDatabase { db in
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
