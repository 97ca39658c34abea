import Crypto
import Foundation
import Shared

/// Refresh tokens in Redis, grouped in families (one family per login).
///
/// Keys: `auth:rt:<sha256>` is a token (user, family, state active or rotated); `auth:fam:<id>` is a
/// live family, which is a session (user, when its login started, absolute expiry, last use, and
/// the `SessionDevice` it began on); and `auth:user-fams:<user>` lists
/// a user's families by expiry. A token is valid while it is active and its family lives, so
/// ending a family (logout, reuse, ban) ends every token in it at once. A family cannot start for a
/// login that began before the user's revocation mark (`RevocationList`), so a login racing a
/// reset or a ban cannot leave a session behind.
///
/// Every use rotates. The new pair is sealed with a key derived from the old token and kept in
/// `auth:rt-next:<sha256>` for the grace window only, so a concurrent use within the window gets
/// the same pair without Redis ever holding a usable token. A use after the window is a stolen or
/// replayed token: the family dies.
///
/// Every deadline (idle, absolute, grace) is decided on `clock`'s time, passed to the scripts and
/// kept in the hashes; the keys' Redis expiry only removes what is dead by then.
struct RefreshTokenStore: Sendable {
    struct Settings: Sendable {
        var idleTTL: Duration
        var absoluteTTL: Duration
        var grace: Duration
        var maxSessionsPerUser: Int
    }

    enum Rotation: Sendable {
        /// The token was active; the pair passed in is now current.
        case rotated
        /// Another request rotated it moments ago; this is the pair it got.
        case concurrent(sealedPair: String)
        /// A rotated token came back after the grace window: its family is revoked.
        case reused(userID: String, family: String)
        /// Unknown, expired or revoked.
        case invalid
    }

    let redis: RedisClient
    let settings: Settings
    var clock: ServiceClock = .system

    /// A live session as its owner's list shows it.
    struct Session: Sendable, Equatable {
        var id: String
        var startedAt: Int64
        var lastUsedAt: Int64
        var expiresAt: Int64
        var device: SessionDevice
    }

    /// Starts a family for a login that began checking credentials at `startedAt`, and returns its
    /// first token and its id; nil when the user's tokens were revoked since (a reset or a ban
    /// won the race).
    func startFamily(userID: String, startedAt: Date, device: SessionDevice) async throws -> (token: SecretToken, family: String)? {
        let now = clock.date
        let token = SecretToken()
        let family = UUID().uuidString.lowercased()
        let started = try await redis.run(Self.startScript,
            keys: [Self.tokenKey(token.value), Self.familyKey(family), Self.userKey(userID), RevocationList.key(userID: userID)],
            arguments: [userID, family, String(now.millisecondsSince1970), String(settings.idleTTL.milliseconds),
                        String(settings.absoluteTTL.milliseconds), String(settings.maxSessionsPerUser), String(startedAt.millisecondsSince1970),
                        device.userAgent, device.network])
        return started.int == 1 ? (token, family) : nil
    }

    /// The user and family a token belongs to, if it is known (it may still be rotated or revoked).
    func holder(of token: String) async throws -> (userID: String, family: String)? {
        guard SecretToken.isWellFormed(token) else { return nil }
        let fields = try await redis.send("HMGET", Self.tokenKey(token), "u", "f").array ?? []
        guard fields.count == 2, let userID = fields[0].string, let family = fields[1].string else { return nil }
        return (userID, family)
    }

    /// The user's live sessions, the most recently used first.
    func sessions(of userID: String) async throws -> [Session] {
        let reply = try await redis.run(Self.listScript, keys: [Self.userKey(userID)],
                                       arguments: [String(clock.date.millisecondsSince1970), String(settings.idleTTL.milliseconds)]).array ?? []
        return stride(from: 0, to: reply.count - reply.count % 6, by: 6).compactMap { i -> Session? in
            guard let id = reply[i].string, let started = reply[i + 1].string.flatMap({ Int64($0) }),
                  let expires = reply[i + 3].string.flatMap({ Int64($0) }) else { return nil }
            let lastUsed = reply[i + 2].string.flatMap { Int64($0) } ?? started
            return Session(id: id, startedAt: started, lastUsedAt: lastUsed, expiresAt: expires,
                           device: SessionDevice(stored: reply[i + 4].string ?? "", network: reply[i + 5].string ?? ""))
        }.sorted { $0.lastUsedAt > $1.lastUsedAt }
    }

    /// Ends the user's session `family`; false when they have no such live session.
    func endFamily(_ family: String, of userID: String) async throws -> Bool {
        guard UUID(uuidString: family) != nil else { return false }
        return try await redis.run(Self.endOwnScript, keys: [Self.familyKey(family.lowercased()), Self.userKey(userID)],
                                   arguments: [userID, family.lowercased()]).int == 1
    }

    /// Rotates `old` to `new` for `userID` in one atomic step; `sealedPair` is kept with `old` for
    /// the grace window. A family that started before `sessionsEndedAt` (the account's last
    /// session end, from Postgres) is ended instead, whatever Redis still holds.
    func rotate(old: String, new: SecretToken, userID: String, sealedPair: String, sessionsEndedAt: Int64?) async throws -> Rotation {
        let now = clock.date
        let reply = try await redis.run(Self.rotateScript,
            keys: [Self.tokenKey(old), Self.tokenKey(new.value), Self.nextKey(old)],
            arguments: [userID, String(now.millisecondsSince1970), String(settings.grace.milliseconds),
                        String(settings.idleTTL.milliseconds), sealedPair, String(sessionsEndedAt ?? 0)]).array ?? []
        switch reply.first?.string {
        case "rotated": return .rotated
        case "concurrent": return reply.count > 1 ? .concurrent(sealedPair: reply[1].string ?? "") : .invalid
        case "reused": return .reused(userID: userID, family: reply.count > 1 ? reply[1].string ?? "" : "")
        default: return .invalid
        }
    }

    /// Ends the family `token` belongs to; returns its user when there was a live one.
    func endFamily(of token: String) async throws -> String? {
        guard SecretToken.isWellFormed(token) else { return nil }
        return try await redis.run(Self.endScript, keys: [Self.tokenKey(token)], arguments: []).string
    }

    // MARK: Sealing the pair kept for the grace window

    static func seal(_ pair: Data, with oldToken: String) throws -> String {
        try AES.GCM.seal(pair, using: sealingKey(oldToken)).combined!.base64EncodedString()
    }

    static func open(_ sealed: String, with oldToken: String) throws -> Data {
        guard let combined = Data(base64Encoded: sealed) else { throw CryptoKitError.incorrectParameterSize }
        return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: sealingKey(oldToken))
    }

    private static func sealingKey(_ token: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(token.utf8)), info: Data("refresh-grace-pair".utf8), outputByteCount: 32)
    }

    // MARK: Keys and scripts

    static func tokenKey(_ token: String) -> String { "auth:rt:" + SecretToken.digest(of: token).hexString }
    static func nextKey(_ token: String) -> String { "auth:rt-next:" + SecretToken.digest(of: token).hexString }
    static func familyKey(_ family: String) -> String { "auth:fam:\(family)" }
    static func userKey(_ userID: String) -> String { "auth:user-fams:\(userID)" }

    /// KEYS: token, family, user's families, user's revocation mark. ARGV: user, family, now, idle,
    /// absolute, max sessions, when the login started, user agent, network. Returns 1 when
    /// started, 0 when revoked.
    private static let startScript = RedisScript("""
        if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[7]) then return 0 end
        local now = tonumber(ARGV[3])
        local expires = now + tonumber(ARGV[5])
        redis.call('HSET', KEYS[1], 'u', ARGV[1], 'f', ARGV[2], 's', 'a', 'i', now + tonumber(ARGV[4]))
        redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[4]), tonumber(ARGV[5])))
        redis.call('HSET', KEYS[2], 'u', ARGV[1], 'exp', expires, 'c', ARGV[7], 'lu', now, 'ua', ARGV[8], 'net', ARGV[9])
        redis.call('PEXPIREAT', KEYS[2], expires)
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
        redis.call('ZADD', KEYS[3], expires, ARGV[2])
        redis.call('PEXPIREAT', KEYS[3], expires)
        local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[6])
        if extra > 0 then
          local oldest = redis.call('ZPOPMIN', KEYS[3], extra)
          for i = 1, #oldest, 2 do redis.call('DEL', 'auth:fam:' .. oldest[i]) end
        end
        return 1
        """)

    /// KEYS: old token, new token, old token's sealed successor. ARGV: user, now, grace, idle,
    /// sealed new pair, the account's last session end. A token's hash holds when it idles out
    /// (`i`) and, once rotated, when its grace ends (`g`); tokens from before these fields have
    /// only their keys' expiry.
    private static let rotateScript = RedisScript("""
        local t = redis.call('HMGET', KEYS[1], 'u', 'f', 's', 'i', 'g')
        if not t[1] or t[1] ~= ARGV[1] then return {'invalid'} end
        local now = tonumber(ARGV[2])
        if t[4] and tonumber(t[4]) <= now then return {'invalid'} end
        local family = 'auth:fam:' .. t[2]
        local f = redis.call('HMGET', family, 'exp', 'c')
        local expires = tonumber(f[1] or '0')
        if expires <= now then return {'invalid'} end
        if tonumber(f[2] or '0') < tonumber(ARGV[6]) then
          redis.call('DEL', family)
          redis.call('ZREM', 'auth:user-fams:' .. t[1], t[2])
          return {'invalid'}
        end
        if t[3] == 'r' then
          local sealed = redis.call('GET', KEYS[3])
          if sealed and (not t[5] or now < tonumber(t[5])) then return {'concurrent', sealed} end
          redis.call('DEL', family)
          redis.call('ZREM', 'auth:user-fams:' .. t[1], t[2])
          return {'reused', t[2]}
        end
        redis.call('HSET', KEYS[1], 's', 'r', 'g', now + tonumber(ARGV[3]))
        redis.call('HSET', family, 'lu', now)
        if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[3]) end
        redis.call('HSET', KEYS[2], 'u', t[1], 'f', t[2], 's', 'a', 'i', now + tonumber(ARGV[4]))
        redis.call('PEXPIRE', KEYS[2], math.min(tonumber(ARGV[4]), expires - now))
        return {'rotated'}
        """)

    /// KEYS: the user's families. ARGV: now, idle. Returns id, started, last used, expiry, user agent
    /// and network of each live family, six values apiece; a family unused for the idle time (its
    /// tokens are gone) or past its expiry is dead and leaves the list.
    private static let listScript = RedisScript("""
        local out = {}
        for _, family in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')) do
          local f = redis.call('HMGET', 'auth:fam:' .. family, 'c', 'lu', 'exp', 'ua', 'net')
          local used = tonumber(f[2] or '') or tonumber(f[1] or '0')
          if f[3] and used + tonumber(ARGV[2]) > tonumber(ARGV[1]) then
            table.insert(out, family)
            for i = 1, 5 do table.insert(out, f[i] or '') end
          else
            redis.call('ZREM', KEYS[1], family)
            redis.call('DEL', 'auth:fam:' .. family)
          end
        end
        return out
        """)

    /// KEYS: the family, the user's families. ARGV: user, family. Returns 1 when the user's live
    /// family was ended.
    private static let endOwnScript = RedisScript("""
        if redis.call('HGET', KEYS[1], 'u') ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[2])
        return 1
        """)

    /// KEYS: a token of the family. Returns the user when the family was live.
    private static let endScript = RedisScript("""
        local t = redis.call('HMGET', KEYS[1], 'u', 'f')
        if not t[1] then return false end
        if redis.call('DEL', 'auth:fam:' .. t[2]) == 0 then return false end
        redis.call('ZREM', 'auth:user-fams:' .. t[1], t[2])
        return t[1]
        """)
}
