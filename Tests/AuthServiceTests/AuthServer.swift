import Foundation
import NIOHTTP1
import PostgresNIO
import Shared
import TestSupport
@testable import AuthService

/// A live AuthService on a scratch database, spoken to over HTTP like any client would.
struct AuthServer: Sendable {
    let live: LiveService

    var port: Int { live.port }
    var databaseURL: String { live.databaseURL }

    /// Settings for speed: bcrypt at cost 4 and no revocation cache, unless a test says otherwise.
    static let testSettings = [
        "BCRYPT_COST": "4", "AUTH_REVOCATION_CACHE_MS": "0",
        "SIGNUP_ADDRESS_LIMIT": "100000", "LOGIN_ADDRESS_LIMIT": "100000",
    ]

    /// - Parameter clock: the service's time, for a test that moves it past an expiry.
    static func run<T: Sendable>(_ overrides: [String: String] = [:], clock: TestClock? = nil,
                                 _ body: @escaping @Sendable (AuthServer) async throws -> T) async throws -> T {
        // The service verifies its own tokens, through its own JWKS URL.
        try await LiveService.run("auth", settings: testSettings, overrides: overrides,
                                  instance: { ["JWKS_URL": "http://127.0.0.1:\($0.port)/api/auth/jwks.json"] }, issuesTokens: false,
                                  clock: clock, build: { try buildApplication(reader: $0, clock: $1) }) { live in
            try await body(AuthServer(live: live))
        }
    }

    typealias Reply = HTTPReply

    func call(_ method: HTTPMethod, _ path: String, json: [String: String]? = nil, token: String? = nil,
              address: String = "192.0.2.1", port: Int? = nil) async throws -> Reply {
        try await live.send(method, path, json: json, token: token, address: address, port: port)
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
        try await live.withDatabase(body)
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
        try await eventuallyValue {
            guard let token = try await mailedToken(to: email, template: template), token != other else { return nil }
            return token
        }
    }

    /// The audit actions enqueued so far, oldest first.
    func auditActions() async throws -> [String] {
        try await live.auditActions()
    }

    /// Makes `email` an ADMIN the way `AuthService create-admin` does.
    func promote(_ email: String) async throws {
        try await withDatabase { db in
            _ = try await db.query("UPDATE auth.users SET role = 'ADMIN' WHERE email = \(email)", logger: TestEnvironment.logger)
        }
    }
}
