import Atomics
import Metrics

/// The Redis pool's use, for `/metrics`: connections open out of the pool's size, and commands
/// sent and not yet answered (a rising figure means Redis, or the path to it, is falling behind).
final class RedisUsage: Sendable {
    private let open = ManagedAtomic(0)
    private let inFlight = ManagedAtomic(0)
    private let openGauge: Gauge
    private let inFlightGauge: Gauge

    init(service: String, poolSize: Int) {
        openGauge = Gauge(label: "redis_pool_connections_open", dimensions: [("service", service)])
        inFlightGauge = Gauge(label: "redis_commands_in_flight", dimensions: [("service", service)])
        Gauge(label: "redis_pool_connections_max", dimensions: [("service", service)]).record(poolSize)
    }

    func opened() { openGauge.record(open.wrappingIncrementThenLoad(ordering: .relaxed)) }
    func closed() { openGauge.record(open.wrappingDecrementThenLoad(ordering: .relaxed)) }
    func sending(_ count: Int) { inFlightGauge.record(inFlight.wrappingIncrementThenLoad(by: count, ordering: .relaxed)) }
    func answered(_ count: Int) { inFlightGauge.record(inFlight.wrappingDecrementThenLoad(by: count, ordering: .relaxed)) }
}
