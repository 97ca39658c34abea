import Foundation
import PostgresNIO
import Shared
import Testing
import TestSupport
@testable import AuthService

/// A committed ban, reset or logout-all always takes effect: Postgres holds the end, Redis only
/// enforces it, and what Redis missed or lost is applied again (`SessionEnd`).
@Suite struct SessionEndTests {
    /// The service's own pieces on its database and the test Redis, to drive the steps one by one.
    struct Parts {
        let database: Database
        let redis: RedisClient
        let ending: SessionEnd
        let users: UserStore
        let refreshTokens: RefreshTokenStore
    }

    func withParts<T: Sendable>(_ server: AuthServer, _ body: (Parts) async throws -> T) async throws -> T {
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestEnvironment.redisURL), logger: TestEnvironment.logger)
        defer { Task { await redis.shutdown() } }
        return try await TestEnvironment.withDatabase(url: server.databaseURL) { database in
            let ending = SessionEnd(database: database, redis: redis, revocations: RevocationList(redis: redis, cacheTTL: .zero),
                                    tokenLifetime: .seconds(600), logger: TestEnvironment.logger)
            let refreshTokens = RefreshTokenStore(redis: redis, settings: .init(
                idleTTL: .seconds(60), absoluteTTL: .seconds(600), grace: .seconds(5), maxSessionsPerUser: 50))
            return try await body(Parts(database: database, redis: redis, ending: ending,
                                        users: UserStore(database: database, logger: TestEnvironment.logger), refreshTokens: refreshTokens))
        }
    }

    /// Settings that keep the service's own reconciler out of the way unless a test wants it.
    static let quiet = ["SESSION_END_RECONCILE_MS": "3600000"]

    @Test func aLoginThatReadTheOldHashBeforeTheCommitGetsNoSession() async throws {
        try await AuthServer.run(Self.quiet) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            try await withParts(server) { parts in
                let userID = try #require(try await parts.users.find(email: email)).id
                // The reset's transaction records the end; before it commits, a login reads the
                // account (and the old hash).
                let (reader, deferred) = try await parts.ending.commit { connection in
                    try await parts.users.setPassword(userID: userID, passwordHash: "new-hash", provesEmail: false, on: connection)
                    let read = try #require(try await parts.users.find(email: email))
                    #expect(read.passwordHash != "new-hash", "the login sees the old hash until the commit")
                    return (read, userID)
                }
                #expect(deferred == nil)
                // Its session would start after the recorded end, but not after the applied one.
                let readAt = Date(timeIntervalSince1970: Double(reader.readAt) / 1000)
                #expect(try await parts.refreshTokens.startFamily(userID: userID, startedAt: readAt, device: .unknown) == nil)
                // A login that reads the new hash starts one.
                let fresh = try #require(try await parts.users.find(email: email))
                #expect(try await parts.refreshTokens.startFamily(
                    userID: userID, startedAt: Date(timeIntervalSince1970: Double(fresh.readAt) / 1000), device: .unknown) != nil)
            }
        }
    }

    @Test func aRefreshIsRefusedByTheEndInPostgresWhateverRedisHolds() async throws {
        try await AuthServer.run(Self.quiet) { server in
            let user = try await server.session()
            // An end Redis never heard of (it failed, or lost it): only Postgres knows.
            try await server.withDatabase { db in
                _ = try await db.query("UPDATE auth.users SET sessions_ended_at = clock_timestamp() WHERE id = \(user.userID)::uuid",
                                       logger: TestEnvironment.logger)
            }
            let refresh = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": user.refresh])
            #expect(refresh.status == 401, "\(refresh.body)")
            // The family is gone, not merely refused once.
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": user.refresh]).status == 401)
        }
    }

    @Test func anEndRedisMissedIsAppliedByTheServiceWithinItsInterval() async throws {
        try await AuthServer.run(["SESSION_END_RECONCILE_MS": "100"]) { server in
            let user = try await server.session()
            // Committed with the ban or reset, but Redis was down when it was to be applied.
            try await server.withDatabase { db in
                _ = try await db.query("""
                    UPDATE auth.users SET sessions_ended_at = clock_timestamp(), sessions_end_pending = true WHERE id = \(user.userID)::uuid
                    """, logger: TestEnvironment.logger)
            }
            var refused = false
            for _ in 0..<100 where !refused {
                refused = try await server.me(user.access).errorCode == "token_revoked"
                if !refused { try await Task.sleep(for: .milliseconds(30)) }
            }
            #expect(refused, "the access token still passes")
            var pending = true
            for _ in 0..<100 where pending {
                pending = try await server.withDatabase { db in
                    try await db.query("SELECT sessions_end_pending FROM auth.users WHERE id = \(user.userID)::uuid",
                                       logger: TestEnvironment.logger).first?.decode(Bool.self) ?? true
                }
                if pending { try await Task.sleep(for: .milliseconds(30)) }
            }
            #expect(!pending)
        }
    }

    @Test func aMarkRedisLostIsRestoredAndLaterSessionsSurvive() async throws {
        try await AuthServer.run(Self.quiet) { server in
            let email = AuthServer.newEmail()
            let before = try await server.session(email)
            #expect(try await server.call(.POST, "/api/auth/logout-all", token: before.access).status == 204)
            #expect(try await server.me(before.access).errorCode == "token_revoked")
            let after = try await server.login(email)
            let afterAccess = try #require(after["accessToken"]), afterRefresh = try #require(after["refreshToken"])

            try await withParts(server) { parts in
                // Redis restarted without the mark: the old token passes again...
                _ = try await parts.redis.send("DEL", RevocationList.key(userID: before.userID))
                #expect(try await server.me(before.access).status == 200)
                // ...until the next round puts it back.
                #expect(try await parts.ending.reconcile() >= 1)
                #expect(try await server.me(before.access).errorCode == "token_revoked")
            }
            // The session that began after the end is untouched by the rounds.
            #expect(try await server.me(afterAccess).status == 200)
            let rotated = try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": afterRefresh])
            #expect(rotated.status == 200, "\(rotated.body)")
        }
    }

    @Test func aBanAnsweredWhileRedisIsDownStillTakesEffect() async throws {
        try await AuthServer.run(Self.quiet) { server in
            let adminEmail = AuthServer.newEmail()
            try await server.signup(adminEmail)
            try await server.promote(adminEmail)
            let admin = try #require(try await server.login(adminEmail)["accessToken"])
            let user = try await server.session()
            // The ban commits in Postgres with its end recorded; the Redis side is then lost.
            #expect(try await server.call(.POST, "/api/admin/users/\(user.userID)/ban", json: ["reason": "spam"], token: admin).status == 204)
            try await withParts(server) { parts in
                let recorded = try await parts.database.query(
                    "SELECT sessions_ended_at IS NOT NULL FROM auth.users WHERE id = \(user.userID)::uuid", logger: TestEnvironment.logger)
                #expect(try recorded.first?.decode(Bool.self) == true)
                _ = try await parts.redis.send("DEL", RevocationList.key(userID: user.userID))
                try await parts.ending.reconcile()
            }
            #expect(try await server.me(user.access).errorCode == "token_revoked")
        }
    }
}
