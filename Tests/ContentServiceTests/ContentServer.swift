import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
@testable import ContentService

/// A live ContentService on a scratch database and its own Redis namespace, with a JWKS endpoint
/// of its own so tests can mint any caller's token.
struct ContentServer: Sendable {
    let live: LiveService
    let keyPrefix: String
    /// The server's own media folder, removed when the test ends.
    let media: MediaLayout

    var port: Int { live.port }
    var databaseURL: String { live.databaseURL }

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
        try await slots.withSlot {
            let keyPrefix = "contenttest-\(UUID().uuidString.prefix(8).lowercased())"
            let media = MediaLayout(root: FileManager.default.temporaryDirectory.appendingPathComponent("content-media-\(UUID().uuidString)"))
            defer { try? FileManager.default.removeItem(at: media.root) }
            var settings = testSettings
            settings.merge(["CONTENT_KEY_PREFIX": keyPrefix, "MEDIA_DIR": media.root.path]) { _, new in new }
            return try await LiveService.run("content", settings: settings, overrides: overrides, instance: { instance in
                guard let databaseProxy else { return [:] }
                var url = URLComponents(string: instance.databaseURL)!
                url.host = "127.0.0.1"
                url.port = databaseProxy.port
                return ["DATABASE_URL": url.string!]
            }, readiness: readiness ? "/readyz" : "/healthz", build: { reader, _ in try buildApplication(reader: reader) }) { live in
                try await body(ContentServer(live: live, keyPrefix: keyPrefix, media: media))
            }
        }
    }

    static let slots = TestSlots(2)

    /// A caller: a user id and a token as AuthService would sign it.
    struct Caller: Sendable {
        var id: String
        var token: String
    }

    func caller(role: Identity.Role = .user) async throws -> Caller {
        let id = UUID().uuidString.lowercased()
        return Caller(id: id, token: try await live.tokens!.token(user: id, role: role))
    }

    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, rawJSON: String? = nil, bytes: ByteBuffer? = nil,
              headers: [String: String] = [:], as caller: Caller? = nil) async throws -> HTTPReply {
        try await live.send(method, path, json: json, rawJSON: rawJSON, bytes: bytes, token: caller?.token, address: "192.0.2.20", headers: headers)
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
        try await live.withDatabase(body)
    }

    /// The actions of the audit events enqueued so far, oldest first.
    func auditActions() async throws -> [String] {
        try await live.auditActions()
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
