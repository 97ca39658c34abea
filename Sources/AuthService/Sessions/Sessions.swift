import Foundation
import Hummingbird
import Logging
import Shared

/// What a login or a refresh answers.
struct TokenPair: ResponseCodable, Equatable {
    var accessToken: String
    /// Left out of the JSON in cookie mode (`RefreshCookie`).
    var refreshToken: String?
    var tokenType = "Bearer"
    /// Seconds until the access token expires.
    var expiresIn: Int
    var user: UserView
}

/// Sessions: a login starts one (an access token plus the first refresh token of a new family),
/// refreshes rotate it, and logout, reuse, bans and password resets end it.
struct Sessions: Sendable {
    enum RefreshFailure: Error {
        case invalid
        case reused(userID: String)
        case banned
    }

    let signer: TokenSigner
    let refreshTokens: RefreshTokenStore
    let revocations: RevocationList
    let users: UserStore
    let ending: SessionEnd

    /// Starts a session for `user` on `device`, counted from when its row (and password hash) was
    /// read; nil when its sessions were ended since (a password reset or a ban committed meanwhile).
    func start(for user: User, on device: SessionDevice) async throws -> TokenPair? {
        let readAt = Date(timeIntervalSince1970: Double(user.readAt) / 1000)
        guard let (refresh, family) = try await refreshTokens.startFamily(userID: user.id, startedAt: readAt, device: device) else { return nil }
        let access = try await signer.accessToken(userID: user.id, role: user.role, emailVerified: user.emailVerified, session: family)
        return TokenPair(accessToken: access.token, refreshToken: refresh.value, expiresIn: access.expiresIn, user: user.publicView)
    }

    /// Rotates `token`. The new pair is made before the atomic step so it can be sealed into it;
    /// a concurrent refresh inside the grace window gets that same pair back.
    func refresh(_ token: String) async throws -> TokenPair {
        guard let (userID, family) = try await refreshTokens.holder(of: token), let user = try await users.find(id: userID) else {
            throw RefreshFailure.invalid
        }
        guard !user.banned else { throw RefreshFailure.banned }
        let access = try await signer.accessToken(userID: user.id, role: user.role, emailVerified: user.emailVerified, session: family)
        let next = SecretToken()
        let pair = TokenPair(accessToken: access.token, refreshToken: next.value, expiresIn: access.expiresIn, user: user.publicView)
        let sealed = try RefreshTokenStore.seal(try JSONEncoder().encode(pair), with: token)
        switch try await refreshTokens.rotate(old: token, new: next, userID: user.id, sealedPair: sealed, sessionsEndedAt: user.sessionsEndedAt) {
        case .rotated:
            return pair
        case .concurrent(let sealedPair):
            return try JSONDecoder().decode(TokenPair.self, from: RefreshTokenStore.open(sealedPair, with: token))
        case .reused(let userID, _):
            // Whoever refreshed first may be the thief: their access token must die too. The
            // user's other sessions simply refresh.
            try await revocations.revokeTokens(of: userID, tokenLifetime: signer.ttl)
            throw RefreshFailure.reused(userID: userID)
        case .invalid:
            throw RefreshFailure.invalid
        }
    }

    /// Ends the session `token` belongs to; returns its user when there was a live one.
    func end(_ token: String) async throws -> String? {
        try await refreshTokens.endFamily(of: token)
    }

    /// Ends every session of `userID` and refuses its access tokens issued until now, everywhere
    /// (see `SessionEnd`).
    func endAll(of userID: String) async throws {
        try await ending.apply(userID: userID)
    }
}
