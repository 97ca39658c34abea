import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared
import TestSupport
@testable import ContentService

/// A live ContentService on a scratch database and its own Redis namespace, with a JWKS endpoint
/// of its own so tests can mint any caller's token.
struct ContentServer: Sendable {
    let port: Int
    let databaseURL: String
    let keyPrefix: String
    let tokens: TestTokenIssuer
    /// The server's own media folder, removed when the test ends.
    let media: MediaLayout

    static let testSettings = [
        "AUTH_REVOCATION_CACHE_MS": "0", "CONTENT_LIKE_FOLD_MS": "50", "CONTENT_AUTHOR_FEED_MS": "50",
        "CONTENT_CURSOR_SECRET": "test-cursor-secret",
    ]

    /// - Parameter readiness: wait for `/readyz` (false: only for `/healthz`, when a test takes a
    ///   dependency away).
    ///   - databaseProxy: reach Postgres through this proxy (to cut it mid-test).
    static func run<T: Sendable>(
        _ overrides: [String: String] = [:], readiness: Bool = true, databaseProxy: CuttableProxy? = nil,
        _ body: @escaping @Sendable (ContentServer) async throws -> T
    ) async throws -> T {
        try await slots.withSlot { try await start(overrides, readiness: readiness, databaseProxy: databaseProxy, body) }
    }

    static let slots = TestSlots(2)

    private static func start<T: Sendable>(
        _ overrides: [String: String], readiness: Bool, databaseProxy: CuttableProxy?,
        _ body: @escaping @Sendable (ContentServer) async throws -> T
    ) async throws -> T {
        return try await TestEnvironment.withScratchDatabase(prefix: "content") { url in
            var serviceURL = url
            if let databaseProxy {
                var components = URLComponents(string: url)!
                components.host = "127.0.0.1"
                components.port = databaseProxy.port
                serviceURL = components.string!
            }
            let port = try TestEnvironment.freePort()
            let tokens = try TestTokenIssuer()
            let media = MediaLayout(root: FileManager.default.temporaryDirectory.appendingPathComponent("content-media-\(UUID().uuidString)"))
            defer { try? FileManager.default.removeItem(at: media.root) }
            let server = ContentServer(port: port, databaseURL: url, keyPrefix: "contenttest-\(UUID().uuidString.prefix(8).lowercased())",
                                       tokens: tokens, media: media)
            var settings = testSettings
            settings.merge(["HTTP_PORT": String(port), "JWKS_URL": tokens.jwksURL,
                            "CONTENT_KEY_PREFIX": server.keyPrefix, "MEDIA_DIR": media.root.path]) { _, new in new }
            settings.merge(overrides) { _, new in new }
            let apps: [any Service] = [
                tokens.application(),
                try buildApplication(reader: TestEnvironment.reader(databaseURL: serviceURL, settings)),
            ]
            return try await TestEnvironment.whileRunning(apps) {
                try await server.waitUntilReady(path: readiness ? "/readyz" : "/healthz")
                return try await body(server)
            }
        }
    }

    private func waitUntilReady(path: String) async throws {
        for _ in 0..<200 {
            if let reply = try? await call(.GET, path), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("ContentService did not become ready on port \(port)")
    }

    /// A caller: a user id and a token as AuthService would sign it.
    struct Caller: Sendable {
        var id: String
        var token: String
    }

    func caller(role: Identity.Role = .user) async throws -> Caller {
        let id = UUID().uuidString.lowercased()
        return Caller(id: id, token: try await tokens.token(user: id, role: role))
    }

    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
        connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)))

    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, rawJSON: String? = nil, bytes: ByteBuffer? = nil,
              headers: [String: String] = [:], as caller: Caller? = nil) async throws -> HTTPReply {
        try await HTTPReply.send(method, "http://127.0.0.1:\(port)\(path)", json: json, rawJSON: rawJSON, bytes: bytes, token: caller?.token,
                                 address: "192.0.2.20", headers: headers, client: Self.client)
    }

    /// Creates a post and returns its id.
    @discardableResult
    func post(_ title: String, body: String = "", tags: [String] = [], as caller: Caller) async throws -> Int64 {
        let reply = try await call(.POST, "/api/posts", json: ["title": title, "body": body, "tags": tags], as: caller)
        guard reply.status == 201, let id = (reply.json["id"] as? NSNumber)?.int64Value else {
            throw TestFailure("creating a post answered \(reply.status): \(reply.body)")
        }
        return id
    }

    /// The ids of a listing or search page, and its cursor.
    func page(_ path: String, as caller: Caller? = nil) async throws -> (ids: [Int64], next: String?, reply: HTTPReply) {
        let reply = try await call(.GET, path, as: caller)
        let items = reply.json["items"] as? [[String: Any]] ?? []
        return (items.compactMap { ($0["id"] as? NSNumber)?.int64Value }, reply["nextCursor"], reply)
    }

    /// Sends a message as AuthService would, for the service's author feed to apply.
    func authorChanged(_ change: UserChange) async throws {
        try await withDatabase { db in
            _ = try await JobQueue(database: db, logger: TestEnvironment.logger).enqueue([.userChange(change)])
        }
    }

    func withDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        try await TestEnvironment.withDatabase(url: databaseURL, body)
    }

    /// The actions of the audit jobs enqueued so far, one job per event or many per job.
    func auditActions() async throws -> [String] {
        try await withDatabase { db in
            try await db.query("""
                SELECT payload->>'action' FROM queue.jobs WHERE kind = 'audit.event'
                UNION ALL
                SELECT e->>'action' FROM queue.jobs, jsonb_array_elements(payload) e WHERE kind = 'audit.events'
                """, logger: TestEnvironment.logger).map { try $0.decode(String.self) }
        }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(timeout: Duration = .seconds(5), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        try await TestSupport.eventually(timeout: timeout, condition)
    }
}

/// A query-string value, percent-encoded.
func escaped(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
}
