import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore

/// Request id, access log and latency histogram for every request.
///
/// The id comes from nginx's `X-Request-Id` when present (so one id follows a request across the
/// proxy and the service) and is echoed in the response. Latency is recorded by route pattern, not
/// by raw path, so the metric's cardinality stays bounded.
public struct ObservabilityMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let trustedProxies: TrustedProxies
    /// From nginx's stamp to the handler: the time a request queued before the service began on it.
    let queueTime: Timer
    /// Each proxy's clock against this host's, so a stamp reads as a wait.
    let proxyClocks: ProxyClocks
    let durations: RequestDurations

    public init(service: String, trustedProxies: TrustedProxies = .loopback) {
        self.trustedProxies = trustedProxies
        self.durations = RequestDurations(service: service)
        self.queueTime = Timer(label: "http_server_request_queue_seconds", dimensions: [("service", service)])
        self.proxyClocks = ProxyClocks(service: service)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let incoming = request.headers[.requestID], Self.isAcceptable(id: incoming) {
            context.logger[metadataKey: "hb.request.id"] = .string(incoming)
        }
        let peer = context.clientAddress
        context.clientAddress = trustedProxies.clientAddress(peer: peer, forwarded: request.headers[.xRealIP])
        let requestID = context.id
        let start = ContinuousClock.now
        var queued: Duration?
        if let stamp = request.headers[.requestStart], let peer, trustedProxies.trusts(peer),
           case let wall = Date(), let gap = RequestStart.gap(header: stamp, now: wall) {
            let waited = proxyClocks.offset(for: peer).wait(gap: gap, wall: wall, at: start)
            queued = waited
            context.arrived = start - waited
            queueTime.recordNanoseconds(waited.nanoseconds)
        }
        var response = try await next(request, context)
        response.headers[.requestID] = requestID
        let status = response.status.code
        let route = context.endpointPath ?? "unmatched"
        let method = request.method.rawValue
        let elapsed = ContinuousClock.now - start
        durations.timer(route: route, method: method, status: status).recordNanoseconds(elapsed.nanoseconds)
        // A 503 is load shedding or a dependency outage, already logged where it is decided; at
        // error level every shed request would flood the log exactly when the machine is busiest.
        let level: Logger.Level = status >= 500 && status != 503 ? .error : (Self.quietRoutes.contains(route) ? .debug : .info)
        var metadata: Logger.Metadata = [
            "method": .string(method),
            "path": .string(request.uri.path),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration_ms": .stringConvertible((Double(elapsed.nanoseconds) / 1e6).rounded(toPlaces: 3)),
            "client": .string(context.clientAddress ?? "-"),
        ]
        if let queued { metadata["queued_ms"] = .stringConvertible(queued.milliseconds) }
        context.logger.log(level: level, "request", metadata: metadata)
        return response
    }

    /// Probes are scraped every few seconds; logging them at info would drown the access log.
    static let quietRoutes: Set<String> = ["/healthz", "/readyz"]

    static func isAcceptable(id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

extension HTTPField.Name {
    public static let requestID = Self("X-Request-Id")!
    public static let xRealIP = Self("X-Real-IP")!
    public static let requestStart = Self("X-Request-Start")!
    public static let rateLimitLimit = Self("X-RateLimit-Limit")!
    public static let rateLimitRemaining = Self("X-RateLimit-Remaining")!
    public static let rateLimitReset = Self("X-RateLimit-Reset")!
}
