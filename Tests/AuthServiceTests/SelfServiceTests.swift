import Foundation
import Testing
import TestSupport
@testable import AuthService

/// What a signed-in user changes about their own account: password, nickname, sessions.
@Suite struct SelfServiceTests {
    @Test func changingThePasswordEndsEverySessionAndStartsANewOneForTheCaller() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            let mine = try await server.session(email)
            let other = try await server.login(email)
            let otherRefresh = try #require(other["refreshToken"])
            func change(_ current: String, _ new: String) async throws -> HTTPReply {
                try await server.live.send(.POST, "/api/auth/password/change", json: ["currentPassword": current, "newPassword": new],
                                           token: mine.access, address: "192.0.2.1")
            }
            let wrong = try await change("not my password", "a brand new one")
            #expect(wrong.status == 403 && wrong.errorCode == "wrong_password")
            #expect(try await change("correct horse", "short").errorCode == "invalid_password")
            #expect(try await server.call(.POST, "/api/auth/password/change", json: ["currentPassword": "correct horse", "newPassword": "a brand new one"]).status == 401)

            let changed = try await change("correct horse", "a brand new one")
            #expect(changed.status == 200)
            let access = try #require(changed["accessToken"])
            #expect(try await server.call(.GET, "/api/users/me", token: access).status == 200)
            // The other session, and the caller's old tokens, are over.
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": otherRefresh]).status == 401)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": mine.refresh]).status == 401)
            #expect(try await server.call(.GET, "/api/users/me", token: mine.access).errorCode == "token_revoked")
            #expect(try await server.login(email).status == 401)
            #expect(try await server.login(email, password: "a brand new one").status == 200)
            // Changing is not proving the address.
            #expect(try await server.me(access).json["emailVerified"] as? Bool == false)
            #expect(try await server.auditActions().contains("user.password_changed"))
            let mailed = try await server.withDatabase { db in
                try await db.query("""
                    SELECT count(*) FROM queue.jobs WHERE kind = 'email.send' AND payload->>'to' = \(email)
                      AND payload->>'template' = 'password_changed'
                    """, logger: TestEnvironment.logger).first?.decode(Int.self)
            }
            #expect(mailed == 1)
        }
    }

    @Test func wrongCurrentPasswordsAreThrottledLikeLogins() async throws {
        try await AuthServer.run(["LOGIN_PAIR_FAILURE_LIMIT": "3"]) { server in
            let session = try await server.session()
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(try await server.live.send(.POST, "/api/auth/password/change",
                    json: ["currentPassword": "guess", "newPassword": "a brand new one"], token: session.access, address: "192.0.2.9").status)
            }
            #expect(statuses == [403, 403, 403, 429])
        }
    }

    @Test func theNicknameChangesHereAndIsSentToTheOtherServices() async throws {
        try await AuthServer.run { server in
            let session = try await server.session()
            func rename(_ nickname: String) async throws -> HTTPReply {
                try await server.live.send(.PATCH, "/api/users/me", json: ["nickname": nickname], token: session.access, address: "192.0.2.1")
            }
            let renamed = try await rename("  새 이름  ")
            #expect(renamed.status == 200)
            #expect(renamed["nickname"] == "새 이름")
            #expect(try await server.me(session.access)["nickname"] == "새 이름")
            #expect(try await rename("").errorCode == "invalid_nickname")
            #expect(try await rename("Ann\u{200B}").status == 422)
            #expect(try await rename(String(repeating: "가", count: 51)).status == 422)
            #expect(try await server.call(.PATCH, "/api/users/me", json: ["nickname": "x"]).status == 401)
            let sent = try await server.withDatabase { db in
                try await db.query("""
                    SELECT payload->>'nickname' FROM queue.jobs WHERE kind = 'user.changed' AND payload->>'userID' = \(session.userID)
                    ORDER BY id DESC LIMIT 1
                    """, logger: TestEnvironment.logger).first?.decode(String.self)
            }
            #expect(sent == "새 이름")
            #expect(try await server.auditActions().contains("user.nickname_changed"))
        }
    }

    @Test func aUserSeesTheirSessionsAndEndsOne() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            func login(_ agent: String, _ address: String) async throws -> HTTPReply {
                try await server.live.send(.POST, "/api/auth/login", json: ["email": email, "password": "correct horse"],
                                           address: address, headers: ["User-Agent": agent])
            }
            let phone = try await login("Phone\tBrowser/1.0", "203.0.113.77")
            let laptop = try await login("Laptop/2.0", "2001:db8:1:2::5")
            let access = try #require(laptop["accessToken"])
            let listed = try await server.call(.GET, "/api/auth/sessions", token: access)
            #expect(listed.status == 200)
            #expect(listed.json.keys.contains("nextCursor"))
            let items = try #require(listed.json["items"] as? [[String: Any]])
            #expect(items.count == 2)
            let current = try #require(items.first { $0["current"] as? Bool == true })
            let other = try #require(items.first { $0["current"] as? Bool == false })
            #expect(current["userAgent"] as? String == "Laptop/2.0" && current["network"] as? String == "2001:db8:1::/48")
            #expect(other["userAgent"] as? String == "Phone\tBrowser/1.0" && other["network"] as? String == "203.0.113.0/24")
            let otherID = try #require(other["id"] as? String)

            let stranger = try await server.session()
            #expect(try await server.call(.DELETE, "/api/auth/sessions/\(otherID)", token: stranger.access).status == 404)
            #expect(try await server.call(.DELETE, "/api/auth/sessions/not-a-session", token: access).status == 404)
            #expect(try await server.call(.DELETE, "/api/auth/sessions/\(otherID)").status == 401)
            #expect(try await server.call(.DELETE, "/api/auth/sessions/\(otherID)", token: access).status == 204)
            #expect(try await server.call(.DELETE, "/api/auth/sessions/\(otherID)", token: access).status == 404)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": try #require(phone["refreshToken"])]).status == 401)
            let left = try await server.call(.GET, "/api/auth/sessions", token: access).json["items"] as? [[String: Any]]
            #expect(left?.count == 1)
            #expect(try await server.auditActions().contains("user.session_ended"))
        }
    }

    @Test func networksAreCoarse() {
        #expect(SessionDevice.coarse("203.0.113.77") == "203.0.113.0/24")
        #expect(SessionDevice.coarse("::ffff:198.51.100.9") == "198.51.100.0/24")
        #expect(SessionDevice.coarse("2001:db8:abcd:12::1") == "2001:db8:abcd::/48")
        #expect(SessionDevice.coarse("not an address") == "")
        #expect(SessionDevice(userAgent: String(repeating: "x", count: 5000), address: nil).userAgent.count == SessionDevice.maxUserAgent)
    }
}

@Suite struct AccountDeletionTests {
    @Test func deletingTheAccountErasesItHereAndTellsEveryoneElse() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            let session = try await server.session(email)
            let other = try await server.session()
            func delete(_ password: String, token: String) async throws -> HTTPReply {
                try await server.live.send(.DELETE, "/api/users/me", json: ["password": password], token: token, address: "192.0.2.1")
            }
            #expect(try await delete("wrong password", token: session.access).errorCode == "wrong_password")
            #expect(try await server.call(.DELETE, "/api/users/me", json: ["password": "correct horse"]).status == 401)
            #expect(try await delete("correct horse", token: session.access).status == 204)

            #expect(try await server.call(.GET, "/api/users/me", token: session.access).status == 401)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": session.refresh]).status == 401)
            #expect(try await server.login(email).status == 401)
            #expect(try await server.call(.GET, "/api/users/me", token: other.access).status == 200)
            let (rows, jobs, auditRow) = try await server.withDatabase { db in
                let rows = try await db.query("""
                    SELECT (SELECT count(*) FROM auth.users WHERE id = \(session.userID)::uuid OR email = \(email))
                         + (SELECT count(*) FROM auth.one_time_tokens WHERE user_id = \(session.userID)::uuid)
                    """, logger: TestEnvironment.logger).first!.decode(Int.self)
                let jobs = try await db.query("""
                    SELECT kind || ':' || coalesce(payload->>'template', payload->>'deleted', '') FROM queue.jobs
                    WHERE payload->>'userID' = \(session.userID) OR payload->>'to' = \(email) ORDER BY kind
                    """, logger: TestEnvironment.logger).map { try $0.decode(String.self) }
                let audit = try await db.query("""
                    SELECT e->>'clientAddress', e->>'userAgent', e->'payload' FROM queue.jobs j,
                        jsonb_array_elements(CASE WHEN j.kind = 'audit.events' THEN j.payload ELSE jsonb_build_array(j.payload) END) e
                    WHERE j.queue = 'audit' AND e->>'action' = 'user.deleted'
                    """, logger: TestEnvironment.logger).map { try $0.decode((String?, String?, String?).self) }
                return (rows, jobs, audit)
            }
            #expect(rows == 0)
            #expect(jobs.contains("user.changed:true"))
            #expect(jobs.contains("user.erase:"))
            #expect(jobs.contains("email.send:account_deleted"))
            #expect(auditRow.count == 1)
            #expect(auditRow.first?.0 == nil && auditRow.first?.1 == nil)
            // The address is free again.
            #expect(try await server.signup(email).status == 201)
        }
    }
}
