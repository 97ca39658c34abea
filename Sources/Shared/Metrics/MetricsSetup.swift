import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// The process-wide Prometheus registry behind swift-metrics. Every metric the project records goes
/// through swift-metrics (`Counter`, `Timer`, `Gauge`), so libraries that use it are exported too.
public enum MetricsSetup {
    public static let registry = PrometheusCollectorRegistry()
    private static let once = NIOLockedValueBox(false)

    /// Buckets for request and query latency: sub-millisecond to ten seconds.
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Bootstraps swift-metrics once per process (tests build many applications in one process).
    public static func bootstrap() {
        once.withLockedValue { done in
            guard !done else { return }
            done = true
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = durationBuckets
            // Prometheus names allow [a-zA-Z0-9_:]; swift-metrics labels from libraries use dots.
            factory.nameAndLabelSanitizer = { name, labels in
                (sanitize(name), labels.map { (sanitize($0.0), $0.1) })
            }
            MetricsSystem.bootstrap(factory)
        }
    }

    /// The exposition text served on `/metrics`.
    public static func exposition() -> [UInt8] {
        ProcessMetrics.sample()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// Called for every metric handle made, which hot paths do per request: a name that is already
    /// valid (the usual case) is returned as it is, without the Unicode property tables.
    static func sanitize(_ name: String) -> String {
        if name.utf8.allSatisfy(isNameByte) { return name }
        return String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: ":"): true
        default: false
        }
    }
}
