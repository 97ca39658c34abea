import Foundation
import Hummingbird

/// The request context every service uses: the authenticated caller (if any) and the body limit.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` from a verified access token.
    public var identity: Identity?
    /// Set per route group by `BodyLimitMiddleware`; decoding a larger body answers 413.
    public var maxUploadSize: Int = 1 << 20
    /// The client address as nginx reported it, for audit events and per-address limits.
    public var clientAddress: String?
    /// When the request reached the edge: nginx's `X-Request-Start` from a trusted proxy
    /// (`ObservabilityMiddleware`), else when the service read its head. Deadlines count from it.
    public var arrived: ContinuousClock.Instant = .now
    /// Waited past `HTTP_MAX_QUEUE_MS` on a route that a cache can answer cheaply
    /// (`QueueDeadlineMiddleware`): only a cache, or work already under way, may answer it now;
    /// anything costlier is shed with 503 `overloaded`.
    public var late = false

    /// Request bodies whose mistakes are answered in plain words, naming the field.
    public var requestDecoder: JSONRequestDecoder { JSONRequestDecoder() }

    /// JSON with ISO 8601 dates for every response body.
    public var responseEncoder: JSONEncoder { Self.encoder }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The caller's identity, or 401.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthorized() }
        return identity
    }
}
