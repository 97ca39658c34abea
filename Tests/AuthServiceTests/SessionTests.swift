import Foundation
import Testing
import TestSupport
@testable import Shared
@testable import AuthService

@Suite struct SessionTests {
    @Test func refreshRotatesAndTheNewPairWorks() async throws {
        try await AuthServer.run { server in
            let session = try await server.session()
            let reply = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": session.refresh])
            #expect(reply.status == 200)
            let access = try #require(reply["accessToken"]), refresh = try #require(reply["refreshToken"])
            #expect(access != session.access && refresh != session.refresh)
            #expect(try await server.call(.GET, "/api/users/me", token: access).status == 200)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": refresh]).status == 200)
        }
    }

    @Test func concurrentRefreshesWithinTheGraceWindowGetTheSamePair() async throws {
        try await AuthServer.run(["REFRESH_GRACE_SECONDS": "10"]) { server in
            let session = try await server.session()
            let replies = try await withThrowingTaskGroup(of: AuthServer.Reply.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": session.refresh]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 200 })
            #expect(Set(replies.compactMap { $0["refreshToken"] }).count == 1)
            #expect(Set(replies.compactMap { $0["accessToken"] }).count == 1)
            let next = try #require(replies.first?["refreshToken"])
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": next]).status == 200)
            #expect(try await server.auditActions().contains("auth.refresh_reuse") == false)
        }
    }

    @Test func reuseAfterTheGraceWindowRevokesTheWholeFamily() async throws {
        let clock = TestClock()
        try await AuthServer.run(["REFRESH_GRACE_SECONDS": "1"], clock: clock) { server in
            let session = try await server.session()
            let other = try await server.login(try #require(await server.me(session.access)["email"]))
            let first = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": session.refresh])
            let current = try #require(first["refreshToken"])
            clock.advance(by: .milliseconds(1001))
            let replay = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": session.refresh])
            #expect(replay.status == 401)
            #expect(replay.errorCode == "refresh_token_reused")
            // The legitimate holder's current token died with the family...
            let legit = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": current])
            #expect(legit.status == 401)
            #expect(legit.errorCode == "invalid_refresh_token")
            // ...and so did the access token whoever refreshed first got...
            #expect(try await server.me(try #require(first["accessToken"])).errorCode == "token_revoked")
            // ...but the user's other session only has to refresh.
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": try #require(other["refreshToken"])]).status == 200)
            #expect(try await server.auditActions().contains("auth.refresh_reuse"))
        }
    }

    @Test func logoutEndsOneSessionAndIsIdempotent() async throws {
        try await AuthServer.run { server in
            let session = try await server.session()
            #expect(try await server.call(.POST, "/api/auth/logout", json: ["refreshToken": session.refresh]).status == 204)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": session.refresh]).status == 401)
            #expect(try await server.call(.POST, "/api/auth/logout", json: ["refreshToken": session.refresh]).status == 204)
            #expect(try await server.call(.POST, "/api/auth/logout", json: ["refreshToken": "nonsense"]).status == 204)
            #expect(try await server.auditActions().filter { $0 == "user.logged_out" }.count == 1)
        }
    }

    @Test func logoutAllEndsEverySessionAndLiveAccessTokens() async throws {
        try await AuthServer.run { server in
            let first = try await server.session()
            let email = try #require(await server.me(first.access)["email"])
            let second = try await server.login(email)
            #expect(try await server.call(.POST, "/api/auth/logout-all").status == 401)
            #expect(try await server.call(.POST, "/api/auth/logout-all", token: first.access).status == 204)
            for refresh in [first.refresh, try #require(second["refreshToken"])] {
                #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": refresh]).status == 401)
            }
            for access in [first.access, try #require(second["accessToken"])] {
                let me = try await server.call(.GET, "/api/users/me", token: access)
                #expect(me.status == 401)
                #expect(me.errorCode == "token_revoked")
            }
            let again = try await server.login(email)
            #expect(try await server.call(.GET, "/api/users/me", token: again["accessToken"]).status == 200)
        }
    }

    @Test func idleAndAbsoluteExpiry() async throws {
        let clock = TestClock()
        try await AuthServer.run(["REFRESH_IDLE_SECONDS": "20", "REFRESH_ABSOLUTE_SECONDS": "40"], clock: clock) { server in
            let idle = try await server.session()
            clock.advance(by: .milliseconds(20_001))
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": idle.refresh]).status == 401)

            // Used every 15 s a session never idles out, but it still ends 40 s after its login:
            // 10 s after its last use, so age ended it, not idleness.
            let email = try #require(await server.me(idle.access)["email"])
            var refresh = try #require(try await server.login(email)["refreshToken"])
            for _ in 0..<2 {
                clock.advance(by: .seconds(15))
                let reply = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": refresh])
                #expect(reply.status == 200)
                refresh = try #require(reply["refreshToken"])
            }
            clock.advance(by: .milliseconds(10_001))
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": refresh]).status == 401)
        }
    }

    @Test func loginsBeyondTheSessionCapEndTheOldest() async throws {
        try await AuthServer.run(["MAX_SESSIONS_PER_USER": "2"]) { server in
            let first = try await server.session()
            let email = try #require(await server.me(first.access)["email"])
            let second = try #require(try await server.login(email)["refreshToken"])
            let third = try #require(try await server.login(email)["refreshToken"])
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": first.refresh]).status == 401)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": second]).status == 200)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": third]).status == 200)
        }
    }

    @Test func meNeedsAValidToken() async throws {
        try await AuthServer.run { server in
            let anonymous = try await server.call(.GET, "/api/users/me")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers.first(name: "WWW-Authenticate") == "Bearer")
            #expect(try await server.call(.GET, "/api/users/me", token: "abc.def.ghi").errorCode == "invalid_token")
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": ""]).status == 401)
        }
    }
}

/// The race between a login and a password reset or ban, driven step by step.
@Suite struct SessionRaceTests {
    @Test func aLoginThatBeganBeforeARevocationGetsNoSession() async throws {
        // Not a test of timeouts: at the suite's start a loaded machine may take seconds to answer.
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL, commandTimeout: .seconds(15)),
                                logger: TestEnvironment.logger)
        let store = RefreshTokenStore(redis: redis, settings: .init(idleTTL: .seconds(60), absoluteTTL: .seconds(600), grace: .seconds(5), maxSessionsPerUser: 5))
        let revocations = RevocationList(redis: redis, cacheTTL: .zero)
        let userID = UUID().uuidString.lowercased()
        let before = Date()
        try await Task.sleep(for: .milliseconds(5))
        try await revocations.revokeTokens(of: userID, tokenLifetime: .seconds(60))
        #expect(try await store.startFamily(userID: userID, startedAt: before, device: .unknown) == nil)
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await store.startFamily(userID: userID, startedAt: Date(), device: .unknown) != nil)
        await redis.shutdown()
    }
}

extension AuthServer {
    func me(_ access: String) async throws -> Reply {
        try await call(.GET, "/api/users/me", token: access)
    }
}
