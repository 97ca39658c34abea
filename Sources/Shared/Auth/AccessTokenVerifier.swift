import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Verifies access tokens against the public keys AuthService publishes as JWKS.
///
/// The key set is cached for `cacheTTL`. A token signed with a key id the cache does not know
/// triggers one refetch (at most every `minRefreshInterval`), which is how a rotated key is picked
/// up without waiting for the cache to expire, and how garbage key ids cannot make us hammer Auth.
public final class AccessTokenVerifier: Sendable {
    public struct Settings: Sendable {
        public var jwksURL: String
        public var issuer: String
        public var audience: String
        public var cacheTTL: Duration = .seconds(300)
        public var minRefreshInterval: Duration = .seconds(10)
        /// How far ahead of this host's clock a token's `iat` may be: the hosts' clocks differ a
        /// little; a token from further in the future was not issued by a healthy Auth.
        public var clockSkew: Duration = .seconds(60)
        /// After a failed fetch, the next waits this long, doubling up to `maxFailureBackoff`;
        /// meanwhile tokens with unknown key ids are refused at once (503) without calling Auth.
        public var failureBackoff: Duration = .seconds(1)
        public var maxFailureBackoff: Duration = .seconds(30)
        /// How long past its fetch a key set is still trusted while Auth cannot be reached.
        public var maxStale: Duration = .seconds(3600)
        /// Only asymmetric algorithms AuthService uses; `none` and HMAC are never accepted.
        public var allowedAlgorithms: Set<String> = ["EdDSA"]

        public init(jwksURL: String, issuer: String, audience: String) {
            self.jwksURL = jwksURL
            self.issuer = issuer
            self.audience = audience
        }
    }

    public enum Failure: Error, Equatable {
        case malformed
        case algorithmNotAllowed(String)
        case unknownKey
        case badSignature
        case expired
        case issuedInTheFuture
        case wrongIssuer
        case wrongAudience
        case invalidClaims
    }

    private struct Cache {
        var keys: JWTKeyCollection?
        var kids: Set<String> = []
        var fetchedAt: ContinuousClock.Instant?
        /// The fetch every caller that needs one waits for: one request to Auth at a time.
        var inFlight: Task<Void, any Error>?
        var failures = 0
        var retryAt: ContinuousClock.Instant?
    }

    public let settings: Settings
    private let cache = NIOLockedValueBox(Cache())
    private let httpClient: HTTPClient
    private let clock: ServiceClock
    private let logger: Logger

    public init(settings: Settings, httpClient: HTTPClient = .shared, clock: ServiceClock = .system, logger: Logger) {
        self.settings = settings
        self.httpClient = httpClient
        self.clock = clock
        self.logger = logger
    }

    public func verify(_ token: String) async throws -> Identity {
        let header = try Self.header(of: token)
        guard let alg = header.alg, settings.allowedAlgorithms.contains(alg) else {
            throw Failure.algorithmNotAllowed(header.alg ?? "missing")
        }
        guard let kid = header.kid, !kid.isEmpty else { throw Failure.unknownKey }
        let keys = try await keys(containing: kid)
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError {
            switch error.errorType {
            case .claimVerificationFailure where error.failedClaim is ExpirationClaim: throw Failure.expired
            case .claimVerificationFailure: throw Failure.invalidClaims
            case .signatureVerificationFailed: throw Failure.badSignature
            default: throw Failure.malformed
            }
        } catch is DecodingError {
            throw Failure.invalidClaims
        }
        // The claims' own check ran on the system's clock; this one is on the service's.
        let now = clock.date
        guard claims.exp.value > now else { throw Failure.expired }
        guard claims.iat.value.timeIntervalSince(now) <= Double(settings.clockSkew.components.seconds) else {
            throw Failure.issuedInTheFuture
        }
        guard claims.iss.value == settings.issuer else { throw Failure.wrongIssuer }
        guard claims.aud.value.contains(settings.audience) else { throw Failure.wrongAudience }
        guard let role = Identity.Role(rawValue: claims.role), !claims.sub.value.isEmpty,
              let issuedAt = claims.preciseIssuedAt else { throw Failure.invalidClaims }
        return Identity(
            userID: claims.sub.value, role: role, tokenID: claims.jti.value,
            issuedAtMilliseconds: issuedAt, emailVerified: claims.emailVerified ?? false, sessionID: claims.sid)
    }

    /// The cached key set if fresh and it knows `kid`; otherwise a refetched one. While fetches
    /// fail, a key set younger than `maxStale` keeps verifying tokens of the keys it knows.
    private func keys(containing kid: String) async throws -> JWTKeyCollection {
        let now = clock.now
        let (cached, knowsKid, fetchedAt, retryAt) = cache.withLockedValue { ($0.keys, $0.kids.contains(kid), $0.fetchedAt, $0.retryAt) }
        let usableStale = knowsKid && fetchedAt.map { now - $0 < settings.maxStale } == true ? cached : nil
        if let cached, let fetchedAt {
            let fresh = now - fetchedAt < settings.cacheTTL
            if fresh && knowsKid { return cached }
            if knowsKid == false && now - fetchedAt < settings.minRefreshInterval && retryAt == nil { throw Failure.unknownKey }
        }
        if let retryAt, now < retryAt {
            // Auth failed a moment ago: do not ask again before the backoff ends.
            if let usableStale { return usableStale }
            throw DependencyUnavailable("jwks", underlying: ConfigurationError("JWKS unreachable; the next try in \((retryAt - now).components.seconds + 1) s"))
        }
        do {
            try await sharedRefresh()
        } catch {
            // Auth unreachable: a key set not too stale still verifies tokens signed with known keys.
            if let usableStale {
                logger.warning("JWKS refresh failed, using cached keys", metadata: ["error": "\(error.reason)"])
                return usableStale
            }
            throw DependencyUnavailable("jwks", underlying: error)
        }
        let (keys, kids) = cache.withLockedValue { ($0.keys, $0.kids) }
        guard let keys, kids.contains(kid) else { throw Failure.unknownKey }
        return keys
    }

    /// Joins the fetch in flight, or starts one; its outcome sets or clears the backoff.
    private func sharedRefresh() async throws {
        let task = cache.withLockedValue { state -> Task<Void, any Error> in
            if let running = state.inFlight { return running }
            let task = Task {
                do {
                    try await self.refresh()
                    self.cache.withLockedValue { state in
                        state.inFlight = nil
                        state.failures = 0
                        state.retryAt = nil
                    }
                } catch {
                    self.cache.withLockedValue { state in
                        state.inFlight = nil
                        state.failures += 1
                        let backoff = min(self.settings.failureBackoff * (1 << min(state.failures - 1, 16)), self.settings.maxFailureBackoff)
                        state.retryAt = self.clock.now + backoff
                    }
                    throw error
                }
            }
            state.inFlight = task
            return task
        }
        try await task.value
    }

    /// Fetches the JWKS now.
    public func refresh() async throws {
        var request = HTTPClientRequest(url: settings.jwksURL)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await httpClient.execute(request, timeout: .seconds(3))
        guard response.status == .ok else { throw ConfigurationError("JWKS answered \(response.status.code)") }
        let body = try await response.body.collect(upTo: 1 << 20)
        let jwks = try JSONDecoder().decode(JWKS.self, from: Data(buffer: body))
        let usable = jwks.keys.filter { jwk in
            jwk.keyIdentifier != nil && (jwk.algorithm.map { settings.allowedAlgorithms.contains($0.rawValue) } ?? false)
        }
        let keys = JWTKeyCollection()
        try await keys.add(jwks: JWKS(keys: usable))
        let kids = Set(usable.compactMap { $0.keyIdentifier?.string })
        cache.withLockedValue { state in
            state.keys = keys
            state.kids = kids
            state.fetchedAt = clock.now
        }
        logger.debug("JWKS refreshed", metadata: ["kids": .array(kids.sorted().map { .string($0) })])
    }

    private struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    private static func header(of token: String) throws -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 8192, let data = Data(base64URL: parts[0]) else { throw Failure.malformed }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else { throw Failure.malformed }
        return header
    }
}
