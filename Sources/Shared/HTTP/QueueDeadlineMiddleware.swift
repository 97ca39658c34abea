import Hummingbird
import Metrics

/// Sheds a request that already waited longer than `maxQueue` between nginx and the handler
/// (`AppRequestContext.arrived`, from nginx's `X-Request-Start`): 503 `overloaded` with
/// `Retry-After`, before it costs a database or Redis call. In a spike the requests that waited
/// that long are the backlog; answering them at once, cheaply, drains it instead of serving every
/// one late. Probes and `/metrics` are never shed: a liveness probe refused under load would get a
/// busy instance restarted. Needs the proxy's and the service's clocks in step (NTP), as the
/// stamp is wall-clock time; `HTTP_MAX_QUEUE_MS=0` turns it off.
public struct QueueDeadlineMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let maxQueue: Duration
    let shed: Counter

    public init(service: String, maxQueue: Duration) {
        self.maxQueue = maxQueue
        self.shed = Counter(label: "http_server_shed_total", dimensions: [("service", service)])
    }

    static let exempt: Set<String> = ["/healthz", "/readyz", "/metrics"]

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard maxQueue > .zero, ContinuousClock.now - context.arrived > maxQueue, !Self.exempt.contains(request.uri.path) else {
            return try await next(request, context)
        }
        shed.increment()
        throw APIError.overloaded()
    }
}
