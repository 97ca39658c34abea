import Metrics
import NIOConcurrencyHelpers

/// The latency histogram of requests, one handle per route, method and status, made once: making a
/// handle looks it up in the registry by name and labels, which cost more than the rest of a cached
/// answer's bookkeeping. Routes are patterns (`/api/posts/{id}`) and unmatched paths share one, so
/// the handles stay as few as the histogram's series.
final class RequestDurations: Sendable {
    private struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    let service: String
    private let timers = NIOLockedValueBox<[Key: Timer]>([:])

    init(service: String) {
        self.service = service
    }

    func timer(route: String, method: String, status: Int) -> Timer {
        let key = Key(route: route, method: method, status: status)
        if let timer = timers.withLockedValue({ $0[key] }) { return timer }
        let timer = Timer(
            label: "http_server_request_duration_seconds",
            dimensions: [("service", service), ("route", route), ("method", method), ("status", String(status))])
        timers.withLockedValue { $0[key] = timer }
        return timer
    }
}
