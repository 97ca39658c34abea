import AsyncHTTPClient
import Configuration
import Foundation
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Shared

/// One or more instances of a service under test, live on ports chosen up front and sharing a
/// scratch database that is dropped when the test ends; spoken to over HTTP as nginx would.
/// AuthServer, ContentServer and GPTServer specialise it with their settings and flows.
public struct LiveService: Sendable {
    /// One instance about to start, for settings that depend on it.
    public struct Instance: Sendable {
        public let port: Int
        /// The scratch database.
        public let databaseURL: String
    }

    public let name: String
    public let ports: [Int]
    public let databaseURL: String
    /// Stands in for AuthService (its JWKS endpoint and tokens) for the services that verify
    /// tokens; nil for AuthService itself.
    public let tokens: TestTokenIssuer?

    public var port: Int { ports[0] }

    /// Starts `instances` of the service `build` composes, each with `settings`, then those of
    /// `instance` (its port and database URL are known by then), then `overrides`, on top of
    /// `TestEnvironment.reader`'s; runs `body` once every instance answers `readiness`, then
    /// stops them and drops the database.
    /// - Parameters:
    ///   - issuesTokens: start a `TestTokenIssuer` and point `JWKS_URL` at it.
    ///   - clock: the instances' time, for a test that moves it past an expiry or a cool-down.
    public static func run<T: Sendable>(
        _ name: String, settings: [String: String], overrides: [String: String], instances: Int = 1,
        instance: (Instance) -> [String: String] = { _ in [:] }, issuesTokens: Bool = true,
        readiness: String = "/readyz", clock: TestClock? = nil,
        build: (ConfigReader, ServiceClock) throws -> any Service,
        _ body: @Sendable (LiveService) async throws -> T
    ) async throws -> T {
        try await TestEnvironment.withScratchDatabase(prefix: name) { url in
            let tokens = issuesTokens ? try TestTokenIssuer() : nil
            let ports = try (0..<instances).map { _ in try TestEnvironment.freePort() }
            let service = LiveService(name: name, ports: ports, databaseURL: url, tokens: tokens)
            var apps: [any Service] = tokens.map { [$0.application()] } ?? []
            for port in ports {
                var values = settings
                values["HTTP_PORT"] = String(port)
                if let tokens { values["JWKS_URL"] = tokens.jwksURL }
                values.merge(instance(Instance(port: port, databaseURL: url))) { _, new in new }
                values.merge(overrides) { _, new in new }
                apps.append(try build(TestEnvironment.reader(databaseURL: url, values), clock?.service ?? .system))
            }
            return try await TestEnvironment.whileRunning(apps) {
                for port in ports { try await Self.waitUntilReady(name, port: port, path: readiness) }
                return try await body(service)
            }
        }
    }

    /// Polls `path` on `port` until it answers 200: an in-process instance, or a process of its
    /// own, which takes longer to start.
    public static func waitUntilReady(_ name: String, port: Int, path: String = "/readyz", timeout: Duration = .seconds(30)) async throws {
        let ready = try await eventually(timeout: timeout) {
            (try? await HTTPReply.send(.GET, "http://127.0.0.1:\(port)\(path)", address: "192.0.2.1", client: client))?.status == 200
        }
        guard ready else { throw TestFailure("\(name) did not become ready on port \(port)") }
    }

    /// Enough connections for the concurrency tests: the shared client's eight per host would
    /// queue the rest behind the first answers.
    public static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
        connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)))

    /// Sends a request to an instance (the first unless `port` says which) from `address`.
    public func send(_ method: HTTPMethod, _ path: String, json: Any? = nil, rawJSON: String? = nil, bytes: ByteBuffer? = nil,
                     token: String? = nil, address: String, headers: [String: String] = [:], port: Int? = nil) async throws -> HTTPReply {
        try await HTTPReply.send(method, "http://127.0.0.1:\(port ?? self.port)\(path)", json: json, rawJSON: rawJSON, bytes: bytes,
                                 token: token, address: address, headers: headers, client: Self.client)
    }

    public func withDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        try await TestEnvironment.withDatabase(url: databaseURL, body)
    }

    /// The actions of the audit events enqueued so far, oldest first: one job per event or many
    /// per job, as the service batches them.
    public func auditActions() async throws -> [String] {
        try await withDatabase { db in
            try await db.query("""
                SELECT action FROM (
                    SELECT j.id, 0::bigint AS n, j.payload->>'action' AS action FROM queue.jobs j WHERE j.kind = 'audit.event'
                    UNION ALL
                    SELECT j.id, e.n, e.event->>'action' FROM queue.jobs j, jsonb_array_elements(j.payload) WITH ORDINALITY AS e(event, n)
                    WHERE j.kind = 'audit.events'
                ) events ORDER BY id, n
                """, logger: TestEnvironment.logger).map { try $0.decode(String.self) }
        }
    }
}
