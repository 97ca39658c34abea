import Metrics

/// The Redis pool's use, for `/metrics`: connections open out of the pool's size, and commands
/// sent and not yet answered (a rising figure means Redis, or the path to it, is falling behind).
/// Meters change atomically, so concurrent updates can never leave a stale value behind.
final class RedisUsage: Sendable {
    private let open: Meter
    private let inFlight: Meter

    init(service: String, poolSize: Int) {
        open = Meter(label: "redis_pool_connections_open", dimensions: [("service", service)])
        inFlight = Meter(label: "redis_commands_in_flight", dimensions: [("service", service)])
        Gauge(label: "redis_pool_connections_max", dimensions: [("service", service)]).record(poolSize)
    }

    func opened() { open.increment() }
    func closed() { open.decrement() }
    func sending(_ count: Int) { inFlight.increment(by: Double(count)) }
    func answered(_ count: Int) { inFlight.decrement(by: Double(count)) }
}
