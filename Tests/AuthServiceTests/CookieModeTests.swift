import Foundation
import Testing
import TestSupport
@testable import AuthService

/// The refresh token in an HttpOnly cookie, for browsers (`RefreshCookie`).
@Suite struct CookieModeTests {
    static let mode = ["X-Auth-Mode": "cookie"]

    /// The cookie a `Set-Cookie` hands over: its value and its attributes, lower-cased.
    static func cookie(in reply: HTTPReply) throws -> (name: String, value: String, attributes: Set<String>) {
        let header = try #require(reply.header("Set-Cookie"))
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let pair = parts[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(pair[0]), pair.count > 1 ? String(pair[1]) : "", Set(parts.dropFirst().map { $0.lowercased() }))
    }

    func login(_ server: AuthServer, _ email: String, headers: [String: String] = mode) async throws -> HTTPReply {
        try await server.live.send(.POST, "/api/auth/login", json: ["email": email, "password": "correct horse"],
                                   address: "192.0.2.1", headers: headers)
    }

    func send(_ server: AuthServer, _ path: String, cookie: String, headers: [String: String] = mode) async throws -> HTTPReply {
        try await server.live.send(.POST, path, address: "192.0.2.1", headers: headers.merging(["Cookie": "refresh=\(cookie)"]) { $1 })
    }

    @Test func loginRefreshAndLogoutKeepTheTokenInTheCookieOnly() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let login = try await login(server, email)
            #expect(login.status == 200)
            #expect(login.json["refreshToken"] == nil)
            #expect(login.header("Cache-Control") == "no-store")
            let first = try Self.cookie(in: login)
            #expect(first.name == "refresh" && first.value.count == 43)
            // Plain HTTP (the test's PUBLIC_BASE_URL): no Secure, so no __Host- prefix either.
            #expect(first.attributes == ["httponly", "samesite=strict", "path=/api/auth/", "max-age=\(14 * 86_400)"])
            let access = try #require(login["accessToken"])
            #expect(try await server.call(.GET, "/api/users/me", token: access).status == 200)

            let refreshed = try await send(server, "/api/auth/refresh", cookie: first.value)
            #expect(refreshed.status == 200 && refreshed.json["refreshToken"] == nil)
            let second = try Self.cookie(in: refreshed)
            #expect(second.value != first.value && second.value.count == 43)
            // The same rotation as in JSON mode: the old cookie within the grace window gets the same pair.
            #expect(try Self.cookie(in: try await send(server, "/api/auth/refresh", cookie: first.value)).value == second.value)

            let out = try await send(server, "/api/auth/logout", cookie: second.value)
            #expect(out.status == 204)
            let cleared = try Self.cookie(in: out)
            #expect(cleared.value.isEmpty && cleared.attributes.contains("max-age=0"))
            let dead = try await send(server, "/api/auth/refresh", cookie: second.value)
            #expect(dead.status == 401 && dead.errorCode == "invalid_refresh_token")
            #expect(try Self.cookie(in: dead).attributes.contains("max-age=0"))
            #expect(try await server.auditActions().filter { $0 == "user.logged_out" }.count == 1)
        }
    }

    @Test func theCookieIsNeverReadWithoutTheHeader() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let token = try Self.cookie(in: try await login(server, email)).value
            // A cross-site form can send the cookie (were it not SameSite) but not the header.
            let forged = try await send(server, "/api/auth/refresh", cookie: token, headers: [:])
            #expect(forged.status == 400 || forged.status == 422)
            #expect(forged.header("Set-Cookie") == nil)
            #expect(try await send(server, "/api/auth/logout", cookie: token, headers: [:]).status != 204)
            #expect(try await send(server, "/api/auth/refresh", cookie: token).status == 200)
        }
    }

    @Test func anotherSitesPageIsRefused() async throws {
        try await AuthServer.run(["CORS_ORIGINS": "https://app.example.com, http://localhost:5173"]) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            for origin in ["https://evil.example", "null", "http://127.0.0.1:8081", "https://app.example.com.evil.example"] {
                let refused = try await login(server, email, headers: Self.mode.merging(["Origin": origin]) { $1 })
                #expect(refused.status == 403, "\(origin)")
                #expect(refused.errorCode == "origin_refused")
                #expect(refused.header("Set-Cookie") == nil)
            }
            let crossSite = try await login(server, email, headers: Self.mode.merging(["Sec-Fetch-Site": "cross-site"]) { $1 })
            #expect(crossSite.status == 403)
            // The public base URL's origin (the test's is http://127.0.0.1:8080), and the allowed ones, in any case.
            for origin in ["http://127.0.0.1:8080", "HTTPS://App.Example.com", "https://app.example.com:443", "http://localhost:5173"] {
                let allowed = try await login(server, email, headers: Self.mode.merging(["Origin": origin, "Sec-Fetch-Site": "same-site"]) { $1 })
                #expect(allowed.status == 200, "\(origin)")
            }
            let token = try Self.cookie(in: try await login(server, email)).value
            let foreign = try await send(server, "/api/auth/refresh", cookie: token, headers: Self.mode.merging(["Origin": "https://evil.example"]) { $1 })
            #expect(foreign.status == 403)
            #expect(try await send(server, "/api/auth/refresh", cookie: token).status == 200)
        }
    }

    @Test func overTLSTheCookieIsSecureAndHostBound() async throws {
        try await AuthServer.run(["PUBLIC_BASE_URL": "https://platform.example.com"]) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let login = try await login(server, email, headers: Self.mode.merging(["Origin": "https://platform.example.com"]) { $1 })
            let cookie = try Self.cookie(in: login)
            #expect(cookie.name == "__Host-refresh")
            #expect(cookie.attributes.isSuperset(of: ["secure", "httponly", "samesite=strict", "path=/"]))
            #expect(!cookie.attributes.contains { $0.hasPrefix("domain=") })
        }
    }

    @Test func originsAreComparedAsBrowsersWriteThem() {
        #expect(RefreshCookie.origin(of: "https://Example.COM:443/some/path") == "https://example.com")
        #expect(RefreshCookie.origin(of: "http://127.0.0.1:8080") == "http://127.0.0.1:8080")
        #expect(RefreshCookie.origin(of: "http://[::1]:80") == RefreshCookie.origin(of: "http://[::1]"))
        #expect(RefreshCookie.origin(of: "null") == nil)
        #expect(RefreshCookie.origin(of: "ftp://example.com") == nil)
        #expect(RefreshCookie.origin(of: "") == nil)
    }
}
