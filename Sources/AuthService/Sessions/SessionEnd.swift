import Foundation
import Logging
import PostgresNIO
import Shared

/// Ending every session of an account (ban, password reset, logout-all, create-admin), so that a
/// committed end always takes effect:
///
/// 1. `record` writes the end into `auth.users` in the transaction of the change that causes it
///    (`sessions_ended_at`, `sessions_end_pending`), so it is as durable as the change itself.
/// 2. `apply`, after the commit, moves the time to the database's clock *now* (later than the
///    commit: a login that read the old password hash before it read the row earlier, so its
///    session is older than the end), then in one Redis script raises the user's revocation mark
///    and deletes every refresh-token family that started before it, and clears the pending flag.
/// 3. `reconcile`, every few seconds in every Auth instance, applies ends still pending (Redis
///    was down) and re-applies the recent ones (Redis lost its data), so the bound on a committed
///    end is the reconcile interval once Redis answers.
///
/// All times are on the database's clock: the end, and the moment a login read the account
/// (`User.readAt`), which is when its session counts as started.
struct SessionEnd: Sendable {
    let database: Database
    let redis: RedisClient
    let revocations: RevocationList
    /// Access-token lifetime: a mark must outlive the tokens it refuses.
    let tokenLifetime: Duration
    let logger: Logger

    /// `column` as milliseconds since 1970, rounded up (a mark refuses what came before it).
    static func milliseconds(_ column: String) -> String {
        "ceil(extract(epoch FROM \(column)) * 1000)::int8"
    }

    /// Steps 1 and 2 around a change that ends a user's sessions (a ban, a reset, a new password
    /// or role): `change` runs in one transaction and names the user whose sessions end (nil:
    /// none); the end is recorded in that transaction and applied after the commit. An apply that
    /// fails is left to `reconcile` and logged: the change has committed, so it is not undone.
    /// Returns the change's value, and why the end was left to `reconcile`, if it was.
    func commit<T: Sendable>(
        _ change: @Sendable (PostgresConnection) async throws -> (value: T, endingSessionsOf: String?)
    ) async throws -> (value: T, deferred: String?) {
        let (value, userID) = try await database.withTransaction(logger: logger) { connection in
            let (value, userID) = try await change(connection)
            if let userID { try await Self.record(userID: userID, on: connection, logger: logger) }
            return (value, userID)
        }
        guard let userID else { return (value, nil) }
        do {
            try await apply(userID: userID)
            return (value, nil)
        } catch {
            logger.warning("session end left to the reconciler", metadata: ["user_id": .string(userID), "error": "\(error.reason)"])
            return (value, error.reason)
        }
    }

    /// Step 1, inside the change's transaction.
    private static func record(userID: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE auth.users SET sessions_ended_at = clock_timestamp(), sessions_end_pending = true
            WHERE id = \(userID)::uuid
            """, logger: logger)
    }

    /// Step 2, after the commit (and alone, for logout-all). Throws when Postgres or Redis cannot
    /// be reached; a recorded end is then still applied by `reconcile`.
    func apply(userID: String) async throws {
        let rows = try await database.query("""
            UPDATE auth.users
            SET sessions_ended_at = greatest(sessions_ended_at, clock_timestamp()), sessions_end_pending = true
            WHERE id = \(userID)::uuid
            RETURNING \(unescaped: Self.milliseconds("sessions_ended_at"))
            """, logger: logger)
        guard let mark = try rows.first?.decode(Int64.self) else { return }
        try await enforce(userID: userID, mark: mark)
        try await settled(userID: userID, mark: mark)
    }

    /// For an account deleted a moment ago: every token issued until now is refused and every
    /// session ends. Nothing can be recorded (the row is gone) and nothing needs to be: a refresh
    /// finds no account, so only the access tokens' last minutes depend on Redis answering.
    func endDeleted(userID: String) async throws {
        let rows = try await database.query("SELECT \(unescaped: Self.milliseconds("clock_timestamp()"))", logger: logger)
        guard let mark = try rows.first?.decode(Int64.self) else { return }
        try await enforce(userID: userID, mark: mark)
    }

    /// Step 3: ends still pending, and those recent enough that a live access token could predate
    /// them. Returns how many were applied.
    @discardableResult
    func reconcile(limit: Int = 1000) async throws -> Int {
        let window = (tokenLifetime + .seconds(60)).milliseconds
        let rows = try await database.query("""
            SELECT id::text, \(unescaped: Self.milliseconds("sessions_ended_at")), sessions_end_pending
            FROM auth.users
            WHERE sessions_end_pending OR sessions_ended_at > now() - \(window) * interval '1 millisecond'
            LIMIT \(limit)
            """, logger: logger)
        var applied = 0
        for row in rows {
            let (userID, mark, pending) = try row.decode((String, Int64, Bool).self)
            try await enforce(userID: userID, mark: mark)
            if pending {
                logger.notice("session end applied late", metadata: ["user_id": .string(userID)])
                try await settled(userID: userID, mark: mark)
            }
            applied += 1
        }
        return applied
    }

    /// Clears the pending flag unless a later end (past `mark`'s millisecond) came meanwhile.
    private func settled(userID: String, mark: Int64) async throws {
        try await database.query("""
            UPDATE auth.users SET sessions_end_pending = false
            WHERE id = \(userID)::uuid AND \(unescaped: Self.milliseconds("sessions_ended_at")) <= \(mark)
            """, logger: logger)
    }

    /// The Redis side, idempotent: the mark is never lowered, and only families that started
    /// before it are deleted (a login after the end keeps its session).
    private func enforce(userID: String, mark: Int64) async throws {
        let keep = tokenLifetime + .seconds(60)
        _ = try await redis.run(Self.script,
            keys: [RefreshTokenStore.userKey(userID), RevocationList.key(userID: userID)],
            arguments: [String(mark), String(keep.milliseconds)])
        revocations.remember(mark: mark, of: userID)
    }

    /// KEYS: the user's families, the user's revocation mark. ARGV: the end (ms), how long the
    /// mark is kept. Returns how many families were ended.
    private static let script = RedisScript("""
        local mark = tonumber(ARGV[1])
        if mark > tonumber(redis.call('GET', KEYS[2]) or '0') then
          redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
        end
        local ended = 0
        for _, family in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          local key = 'auth:fam:' .. family
          local started = tonumber(redis.call('HGET', key, 'c') or '0')
          if started < mark then
            ended = ended + redis.call('DEL', key)
            redis.call('ZREM', KEYS[1], family)
          end
        end
        return ended
        """)
}
