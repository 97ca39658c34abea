import Hummingbird
import Metrics

/// Sheds a request that already waited longer than `maxQueue` between nginx and the handler
/// (`AppRequestContext.arrived`, from nginx's `X-Request-Start`): 503 `overloaded` with
/// `Retry-After`, before it costs a database or Redis call. In a spike the requests that waited
/// that long are the backlog; answering them at once, cheaply, drains it instead of serving every
/// one late. Probes and `/metrics` are never shed: a liveness probe refused under load would get a
/// busy instance restarted.
///
/// Shedding is by cost: a route in `cacheable` (one whose answer a cache often has, for a fraction
/// of the cost of making it) is let through until `maxCachedQueue` marked `late`, and its handler
/// answers only what a cache or work already under way can answer, shedding the rest itself. The
/// stamp is the proxy's wall clock; `RequestStart` allows for a service clock that is off.
/// `HTTP_MAX_QUEUE_MS=0` turns shedding off.
public struct QueueDeadlineMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let maxQueue: Duration
    let maxCachedQueue: Duration
    let cacheable: Set<String>
    let shed: Counter
    let late: Counter

    public init(service: String, maxQueue: Duration, maxCachedQueue: Duration = .zero, cacheable: Set<String> = []) {
        self.maxQueue = maxQueue
        self.maxCachedQueue = max(maxQueue, maxCachedQueue)
        self.cacheable = cacheable
        self.shed = Counter(label: "http_server_shed_total", dimensions: [("service", service)])
        self.late = Counter(label: "http_server_late_total", dimensions: [("service", service)])
    }

    static let exempt: Set<String> = ["/healthz", "/readyz", "/metrics"]

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard maxQueue > .zero else { return try await next(request, context) }
        let waited = ContinuousClock.now - context.arrived
        guard waited > maxQueue, !Self.exempt.contains(request.uri.path) else { return try await next(request, context) }
        if waited <= maxCachedQueue, cacheable.contains(request.uri.path) {
            late.increment()
            var context = context
            context.late = true
            return try await next(request, context)
        }
        shed.increment()
        throw APIError.overloaded()
    }
}
