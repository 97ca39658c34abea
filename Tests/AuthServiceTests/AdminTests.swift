import Foundation
import Testing
import TestSupport
@testable import AuthService

@Suite struct AdminTests {
    @Test func adminRoutesAreForAdminsOnly() async throws {
        try await AuthServer.run { server in
            let user = try await server.session()
            let path = "/api/admin/users/\(user.userID)/ban"
            #expect(try await server.call(.POST, path, json: ["reason": "spam"]).status == 401)
            let forbidden = try await server.call(.POST, path, json: ["reason": "spam"], token: user.access)
            #expect(forbidden.status == 403)
            #expect(forbidden.errorCode == "forbidden")
        }
    }

    /// A ban ends the user's live access token in another process at once (within its revocation
    /// cache), ends their sessions, and stops logins until the unban.
    @Test func banTakesEffectEverywhereAndUnbanRestores() async throws {
        try await AuthServer.run { server in
            let adminEmail = AuthServer.newEmail()
            try await server.signup(adminEmail)
            try await server.promote(adminEmail)
            let admin = try #require(try await server.login(adminEmail)["accessToken"])
            let email = AuthServer.newEmail()
            let user = try await server.session(email)

            // A second process with the Shared middleware and its default one-second cache.
            let other = try await SecondInstance.start(databaseURL: server.databaseURL, jwksURL: "http://127.0.0.1:\(server.port)/api/auth/jwks.json")
            try await other.child.killed {
                #expect(try await server.call(.GET, "/api/users/me", token: user.access, port: other.port).status == 200)

                let path = "/api/admin/users/\(user.userID)/ban"
                #expect(try await server.call(.POST, path, json: ["reason": " "], token: admin).status == 422)
                #expect(try await server.call(.POST, path, json: ["reason": "nul\u{0}byte"], token: admin).status == 422)
                #expect(try await server.call(.POST, "/api/admin/users/\(UUID())/ban", json: ["reason": "spam"], token: admin).status == 404)
                #expect(try await server.call(.POST, "/api/admin/users/not-a-uuid/ban", json: ["reason": "spam"], token: admin).status == 404)
                #expect(try await server.call(.POST, path, json: ["reason": "spam"], token: admin).status == 204)

                #expect(try await server.me(user.access).errorCode == "token_revoked")
                var refusedElsewhere = false
                let clock = ContinuousClock(), start = clock.now
                while clock.now - start < .seconds(3) {
                    if try await server.call(.GET, "/api/users/me", token: user.access, port: other.port).status == 401 {
                        refusedElsewhere = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(refusedElsewhere)
                #expect(clock.now - start < .milliseconds(1500))

                let refresh = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": user.refresh])
                #expect(refresh.status == 403 || refresh.status == 401)
                #expect(try await server.login(email).errorCode == "account_banned")

                #expect(try await server.call(.POST, "/api/admin/users/\(user.userID)/unban", token: admin).status == 204)
                let back = try await server.login(email)
                #expect(back.status == 200)
                #expect(try await server.call(.GET, "/api/users/me", token: back["accessToken"], port: other.port).status == 200)
                let actions = try await server.auditActions()
                #expect(actions.contains("admin.user_banned") && actions.contains("admin.user_unbanned"))
            }
        }
    }

    @Test func anAdminCannotBanThemselves() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            try await server.promote(email)
            let login = try await server.login(email)
            let id = try #require((login.json["user"] as? [String: Any])?["id"] as? String)
            let reply = try await server.call(.POST, "/api/admin/users/\(id)/ban", json: ["reason": "oops"], token: login["accessToken"])
            #expect(reply.status == 409)
        }
    }

    @Test func createAdminCreatesOrPromotes() async throws {
        try await AuthServer.run { server in
            let fresh = AuthServer.newEmail()
            #expect(try await runCommand(["create-admin", "--email", fresh, "--password", "admin password"], databaseURL: server.databaseURL) == 0)
            let login = try await server.login(fresh, password: "admin password")
            #expect((login.json["user"] as? [String: Any])?["role"] as? String == "ADMIN")

            let existing = AuthServer.newEmail()
            try await server.signup(existing)
            #expect(try await runCommand(["create-admin", "--email", existing, "--password", "another password"], databaseURL: server.databaseURL) == 0)
            #expect((try await server.login(existing, password: "another password").json["user"] as? [String: Any])?["role"] as? String == "ADMIN")

            #expect(try await runCommand(["create-admin", "--email", "x@example.com", "--password", "short"], databaseURL: server.databaseURL) != 0)

            // The password can come on standard input instead of the command line.
            let piped = AuthServer.newEmail()
            #expect(try await runCommand(["create-admin", "--email", piped], databaseURL: server.databaseURL, input: "piped password\n") == 0)
            #expect(try await server.login(piped, password: "piped password").status == 200)
        }
    }

    func runCommand(_ arguments: [String], databaseURL: String, input: String? = nil) async throws -> Int32 {
        let process = Process()
        let stdin = Pipe()
        process.standardInput = stdin
        process.executableURL = TestEnvironment.executable(named: "AuthService")
        process.arguments = arguments
        // The whole suite starting at once can hold a connection up for seconds.
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["DATABASE_URL": databaseURL, "BCRYPT_COST": "4", "DATABASE_ACQUIRE_TIMEOUT_MS": "30000"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let child = try TestProcess(starting: process)
        stdin.fileHandleForWriting.write(Data((input ?? "").utf8))
        try stdin.fileHandleForWriting.close()
        return await child.exited()
    }
}

/// Another AuthService process on the same database and Redis.
struct SecondInstance {
    let child: TestProcess
    let port: Int

    static func start(databaseURL: String, jwksURL: String) async throws -> SecondInstance {
        let port = try TestEnvironment.freePort()
        let process = Process()
        process.executableURL = TestEnvironment.executable(named: "AuthService")
        process.environment = ProcessInfo.processInfo.environment.merging([
            "DATABASE_URL": databaseURL, "HTTP_PORT": String(port), "JWKS_URL": jwksURL, "LOG_LEVEL": "warning",
            "MAIL_LINK_SECRET": TestEnvironment.mailLinkSecret,
        ]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let instance = SecondInstance(child: try TestProcess(starting: process), port: port)
        do {
            // A process of its own takes longer to start than an in-process server.
            try await LiveService.waitUntilReady("AuthService", port: port, timeout: .seconds(10))
            return instance
        } catch {
            await instance.child.kill()
            throw error
        }
    }
}
