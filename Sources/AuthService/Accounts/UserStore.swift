import Foundation
import Logging
import PostgresNIO
import Shared

/// The SQL for `auth.users` and `auth.one_time_tokens`. Writes take the caller's connection so
/// they commit together with the jobs that report them.
struct UserStore: Sendable {
    let database: Database
    let logger: Logger
    /// What a one-time token's expiry is set and checked against.
    var clock: ServiceClock = .system

    static let columns = """
        id::text, email, nickname, password_hash, role, email_verified_at IS NOT NULL, banned_at IS NOT NULL, created_at,
        \(SessionEnd.milliseconds("sessions_ended_at")), \(SessionEnd.milliseconds("clock_timestamp()"))
        """

    func find(email: String) async throws -> User? {
        try await database.query("SELECT \(unescaped: Self.columns) FROM auth.users WHERE email = \(email)", logger: logger)
            .first.map(Self.user)
    }

    func find(id: String) async throws -> User? {
        guard UUID(uuidString: id) != nil else { return nil }
        return try await database.query("SELECT \(unescaped: Self.columns) FROM auth.users WHERE id = \(id)::uuid", logger: logger)
            .first.map(Self.user)
    }

    /// Inserts a new account; nil when the email is taken.
    func insert(email: String, nickname: String, passwordHash: String, role: Identity.Role, on connection: PostgresConnection) async throws -> User? {
        let rows = try await connection.query("""
            INSERT INTO auth.users (email, nickname, password_hash, role)
            VALUES (\(email), \(nickname), \(passwordHash), \(role.rawValue))
            ON CONFLICT (email) DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, logger: logger).collect()
        return try rows.first.map(Self.user)
    }

    /// Creates an ADMIN, or promotes the account and sets its password; returns what other
    /// services keep of it.
    func upsertAdmin(email: String, nickname: String, passwordHash: String, on connection: PostgresConnection) async throws -> UserChange {
        let rows = try await connection.query("""
            INSERT INTO auth.users (email, nickname, password_hash, role, email_verified_at)
            VALUES (\(email), \(nickname), \(passwordHash), 'ADMIN', now())
            ON CONFLICT (email) DO UPDATE
            SET role = 'ADMIN', password_hash = excluded.password_hash, updated_at = now()
            RETURNING id::text, nickname, banned_at IS NOT NULL
            """, logger: logger).collect()
        let (id, nickname, banned) = try rows[0].decode((String, String, Bool).self)
        return UserChange(userID: id, nickname: nickname, banned: banned)
    }

    /// - Parameter provesEmail: the password came by a mailed link (a reset), which proves the
    ///   address too.
    func setPassword(userID: String, passwordHash: String, provesEmail: Bool, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE auth.users SET password_hash = \(passwordHash), updated_at = now(),
                email_verified_at = CASE WHEN \(provesEmail) THEN coalesce(email_verified_at, now()) ELSE email_verified_at END
            WHERE id = \(userID)::uuid
            """, logger: logger)
    }

    /// The account with its new nickname, and what other services keep of it; nil when it is gone.
    func setNickname(userID: String, nickname: String, on connection: PostgresConnection) async throws -> (user: User, change: UserChange)? {
        let rows = try await connection.query("""
            UPDATE auth.users SET nickname = \(nickname), updated_at = now() WHERE id = \(userID)::uuid
            RETURNING \(unescaped: Self.columns)
            """, logger: logger).collect()
        guard let user = try rows.first.map(Self.user) else { return nil }
        return (user, UserChange(userID: user.id, nickname: user.nickname, banned: user.banned))
    }

    /// Replaces a hash with the same password at another cost, unless the password changed
    /// meanwhile; true when it was replaced.
    func replaceHash(userID: String, old: String, new: String) async throws -> Bool {
        try await database.query("""
            UPDATE auth.users SET password_hash = \(new), updated_at = now()
            WHERE id = \(userID)::uuid AND password_hash = \(old)
            RETURNING 1
            """, logger: logger).first != nil
    }

    /// Marks the email verified; false when it already was.
    func markVerified(userID: String, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE auth.users SET email_verified_at = now(), updated_at = now()
            WHERE id = \(userID)::uuid AND email_verified_at IS NULL RETURNING 1
            """, logger: logger).collect()
        return !rows.isEmpty
    }

    /// Bans (with a reason, by the administrator `adminID`) or unbans; nil when there is no such
    /// user, else whether it changed and the user's nickname. An unban clears who banned too.
    func setBanned(userID: String, reason: String?, by adminID: String, on connection: PostgresConnection) async throws -> (changed: Bool, nickname: String)? {
        guard UUID(uuidString: userID) != nil else { return nil }
        let bannedBy = reason == nil ? nil : UUID(uuidString: adminID)
        let rows = try await connection.query("""
            WITH target AS (SELECT id, banned_at IS NOT NULL AS was FROM auth.users WHERE id = \(userID)::uuid FOR UPDATE)
            UPDATE auth.users u
            SET banned_at = CASE WHEN \(reason != nil) THEN coalesce(u.banned_at, now()) END,
                ban_reason = \(reason), banned_by = \(bannedBy), updated_at = now()
            FROM target WHERE u.id = target.id
            RETURNING target.was, u.nickname
            """, logger: logger).collect()
        guard let (was, nickname) = try rows.first?.decode((Bool, String).self) else { return nil }
        return (was != (reason != nil), nickname)
    }

    /// Deletes the account row (its one-time tokens cascade); false when there was none.
    func delete(userID: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("DELETE FROM auth.users WHERE id = \(userID)::uuid RETURNING 1", logger: logger).collect().isEmpty
    }

    // MARK: What administrators see

    static let adminColumns = "id::text, email, nickname, role, email_verified_at IS NOT NULL, ban_reason, banned_by::text, banned_at, created_at"

    /// The account `id`, as administrators see it; nil for no such account (or no UUID).
    func adminView(id: String) async throws -> AdminAccountView? {
        guard UUID(uuidString: id) != nil else { return nil }
        return try await database.query("SELECT \(unescaped: Self.adminColumns) FROM auth.users WHERE id = \(id)::uuid", logger: logger)
            .first.map(Self.adminView)
    }

    /// The accounts `query` finds, newest first from `page` on (one row past the page), each with
    /// its sort key. Each kind of query reads its own index (migration 0005).
    func search(_ query: AccountQuery, page: PageRequest) async throws -> [(account: AdminAccountView, key: SortKey)] {
        try await database.query(Self.searchStatement(query, page: page), logger: logger).map { row in
            let account = try Self.adminView(row)
            return (account, SortKey(value: try row.makeRandomAccess()[9].decode(Int64.self), id: account.id))
        }
    }

    /// The statement of `search` (the tests EXPLAIN it).
    static func searchStatement(_ query: AccountQuery, page: PageRequest) -> PostgresQuery {
        var binds = PostgresBindings()
        func bind(_ value: some PostgresNonThrowingEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var sql = "SELECT \(adminColumns), \(SQLTime.micros("created_at")) FROM auth.users WHERE true"
        switch query {
        case .all:
            break
        case .id(let id):
            sql += " AND id = \(bind(id))::uuid"
        case .email(let prefix):
            sql += " AND email LIKE lower(\(bind(AccountQuery.likePattern(prefix))))"
        case .text(let prefix):
            let pattern = bind(AccountQuery.likePattern(prefix))
            sql += " AND (email LIKE lower(\(pattern)) OR lower(nickname) LIKE lower(\(pattern)))"
        }
        if case .after(let key) = page.position {
            sql += " AND (created_at, id) < (\(SQLTime.fromMicros(bind(key.value))), \(bind(key.id))::uuid)"
        }
        sql += " ORDER BY created_at DESC, id DESC LIMIT \(bind(page.limit))"
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    private static func adminView(_ row: PostgresRow) throws -> AdminAccountView {
        let column = row.makeRandomAccess()
        let ban = try column[7].decode(Date?.self).map { at in
            AdminAccountView.Ban(reason: try column[5].decode(String?.self) ?? "", by: try column[6].decode(String?.self), at: at)
        }
        return AdminAccountView(id: try column[0].decode(String.self), email: try column[1].decode(String.self),
                                nickname: try column[2].decode(String.self), role: try column[3].decode(String.self),
                                emailVerified: try column[4].decode(Bool.self), banned: ban, createdAt: try column[8].decode(Date.self))
    }

    // MARK: One-time tokens

    enum Purpose: String, Sendable {
        case verifyEmail = "verify_email"
        case passwordReset = "password_reset"
    }

    /// A new token for `userID`, replacing any earlier one for the same purpose.
    func issueToken(userID: String, purpose: Purpose, ttl: Duration, on connection: PostgresConnection) async throws -> SecretToken {
        let token = SecretToken()
        try await connection.query("""
            INSERT INTO auth.one_time_tokens (token_hash, user_id, purpose, expires_at)
            VALUES (\(ByteBuffer(bytes: token.digest)), \(userID)::uuid, \(purpose.rawValue), \(clock.date.addingTimeInterval(ttl.seconds)))
            ON CONFLICT (user_id, purpose) DO UPDATE
            SET token_hash = excluded.token_hash, expires_at = excluded.expires_at, created_at = now()
            """, logger: logger)
        return token
    }

    /// Uses up a token: returns its user when it was live. An expired one is deleted too.
    func consumeToken(_ value: String, purpose: Purpose, on connection: PostgresConnection) async throws -> String? {
        guard SecretToken.isWellFormed(value) else { return nil }
        let rows = try await connection.query("""
            DELETE FROM auth.one_time_tokens
            WHERE token_hash = \(ByteBuffer(bytes: SecretToken.digest(of: value))) AND purpose = \(purpose.rawValue)
            RETURNING user_id::text, expires_at > \(clock.date)
            """, logger: logger).collect()
        guard let (userID, live) = try rows.first?.decode((String, Bool).self), live else { return nil }
        return userID
    }

    /// Whether a token is live, without using it up.
    func tokenIsLive(_ value: String, purpose: Purpose) async throws -> Bool {
        guard SecretToken.isWellFormed(value) else { return false }
        return try await !database.query("""
            SELECT 1 FROM auth.one_time_tokens
            WHERE token_hash = \(ByteBuffer(bytes: SecretToken.digest(of: value))) AND purpose = \(purpose.rawValue) AND expires_at > \(clock.date)
            """, logger: logger).isEmpty
    }

    /// The highest bcrypt cost among stored hashes ("$2b$10$...").
    func highestStoredCost() async throws -> Int? {
        try await database.query("""
            SELECT max(substr(password_hash, 5, 2)::int) FROM auth.users WHERE password_hash ~ '^\\$2[aby]\\$[0-9]{2}\\$'
            """, logger: logger).first?.decode(Int?.self) ?? nil
    }

    func deleteExpiredTokens() async throws {
        _ = try await database.query("DELETE FROM auth.one_time_tokens WHERE expires_at < \(clock.date)", logger: logger)
    }

    private static func user(_ row: PostgresRow) throws -> User {
        let (id, email, nickname, hash, role, verified, banned, createdAt, endedAt, readAt) =
            try row.decode((String, String, String, String, String, Bool, Bool, Date, Int64?, Int64).self)
        return User(id: id, email: email, nickname: nickname, passwordHash: hash, role: Identity.Role(rawValue: role) ?? .user,
                    emailVerified: verified, banned: banned, createdAt: createdAt, sessionsEndedAt: endedAt, readAt: readAt)
    }
}
