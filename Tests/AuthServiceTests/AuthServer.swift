import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import Shared
import TestSupport
@testable import AuthService

/// A live AuthService on a scratch database, spoken to over HTTP like any client would.
struct AuthServer: Sendable {
    let port: Int
    let databaseURL: String

    /// Settings for speed: bcrypt at cost 4 and no revocation cache, unless a test says otherwise.
    static let testSettings = [
        "BCRYPT_COST": "4", "AUTH_REVOCATION_CACHE_MS": "0",
        "SIGNUP_ADDRESS_LIMIT": "100000", "LOGIN_ADDRESS_LIMIT": "100000",
    ]

    /// - Parameter clock: the service's time, for a test that moves it past an expiry.
    static func run<T: Sendable>(_ overrides: [String: String] = [:], clock: TestClock? = nil,
                                 _ body: @escaping @Sendable (AuthServer) async throws -> T) async throws -> T {
        return try await TestEnvironment.withScratchDatabase(prefix: "auth") { url in
            let port = try TestEnvironment.freePort()
            var settings = testSettings
            settings["HTTP_PORT"] = String(port)
            settings["JWKS_URL"] = "http://127.0.0.1:\(port)/api/auth/jwks.json"
            settings.merge(overrides) { _, new in new }
            let app = try buildApplication(reader: TestEnvironment.reader(databaseURL: url, settings), clock: clock?.service ?? .system)
            // Run on a port chosen up front (HummingbirdTesting's live mode picks its own), because the
            // service verifies its own tokens through its JWKS URL.
            return try await TestEnvironment.whileRunning([app]) {
                let server = AuthServer(port: port, databaseURL: url)
                try await server.waitUntilReady()
                return try await body(server)
            }
        }
    }

    /// Polls `/readyz` every 25 ms until it answers 200, for at most `attempts` tries.
    func waitUntilReady(attempts: Int = 200) async throws {
        for _ in 0..<attempts {
            if let reply = try? await call(.GET, "/readyz"), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("AuthService did not become ready on port \(port)")
    }

    typealias Reply = HTTPReply

    func call(_ method: HTTPMethod, _ path: String, json: [String: String]? = nil, token: String? = nil,
              address: String = "192.0.2.1", port: Int? = nil) async throws -> Reply {
        try await HTTPReply.send(method, "http://127.0.0.1:\(port ?? self.port)\(path)", json: json, token: token, address: address)
    }

    // MARK: Flows

    static func newEmail() -> String { "u\(UUID().uuidString.prefix(12).lowercased())@example.com" }

    @discardableResult
    func signup(_ email: String, password: String = "correct horse", nickname: String = "Ann") async throws -> Reply {
        try await call(.POST, "/api/auth/signup", json: ["email": email, "password": password, "nickname": nickname])
    }

    func login(_ email: String, password: String = "correct horse", address: String = "192.0.2.1") async throws -> Reply {
        try await call(.POST, "/api/auth/login", json: ["email": email, "password": password], address: address)
    }

    /// Signs up and logs in; returns the access and refresh tokens.
    func session(_ email: String = newEmail(), password: String = "correct horse") async throws -> (access: String, refresh: String, userID: String) {
        let signup = try await signup(email, password: password)
        guard signup.status == 201 else { throw TestFailure("signup answered \(signup.status): \(signup.body)") }
        let login = try await login(email, password: password)
        guard login.status == 200, let access = login["accessToken"], let refresh = login["refreshToken"],
              let user = login.json["user"] as? [String: Any], let id = user["id"] as? String
        else { throw TestFailure("login answered \(login.status): \(login.body)") }
        return (access, refresh, id)
    }

    /// The value of one series (name with its labels, as exported) on `/metrics`; every outcome
    /// counter exists from start, so a missing one is an error.
    func metric(_ series: String) async throws -> Double {
        let text = try await call(.GET, "/metrics").body
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(series + " ") }),
              let value = Double(line.split(separator: " ").last ?? "") else { throw TestFailure("no \(series) on /metrics") }
        return value
    }

    // MARK: What the service wrote

    func withDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        try await TestEnvironment.withDatabase(url: databaseURL, body)
    }

    /// The token in the newest mail of `template` to `email`, read from the email queue and
    /// opened as the email worker opens it.
    func mailedToken(to email: String, template: String) async throws -> String? {
        let payload = try await withDatabase { db in
            try await db.query("""
                SELECT payload::text FROM queue.jobs
                WHERE kind = 'email.send' AND payload->>'to' = \(email) AND payload->>'template' = \(template)
                ORDER BY id DESC LIMIT 1
                """, logger: TestEnvironment.logger).first?.decode(String.self)
        }
        guard let payload else { return nil }
        let job = try JSONDecoder().decode(EmailJob.self, from: Data(payload.utf8))
        let link = try job.link(openedWith: MailLinkSeal(secret: TestEnvironment.mailLinkSecret))
        return link.flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == "token" }?.value }
    }

    /// Like `mailedToken`, waiting up to five seconds for one (other than `other`) to be enqueued:
    /// reset mails are requested after `forgot` has answered.
    func waitForMailedToken(to email: String, template: String, other: String? = nil) async throws -> String? {
        for _ in 0..<100 {
            if let token = try await mailedToken(to: email, template: template), token != other { return token }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The audit actions enqueued so far, oldest first.
    func auditActions() async throws -> [String] {
        try await withDatabase { db in
            try await db.query("SELECT payload->>'action' FROM queue.jobs WHERE kind = 'audit.event' ORDER BY id", logger: TestEnvironment.logger)
                .map { try $0.decode(String.self) }
        }
    }

    /// Makes `email` an ADMIN the way `AuthService create-admin` does.
    func promote(_ email: String) async throws {
        try await withDatabase { db in
            _ = try await db.query("UPDATE auth.users SET role = 'ADMIN' WHERE email = \(email)", logger: TestEnvironment.logger)
        }
    }
}
