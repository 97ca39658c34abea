import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO

/// Closes a leased connection whose holder kept it past the lease's limit. A statement on a
/// connection to a server cut off by a partition, or hung, otherwise waits for TCP's own timeouts
/// (minutes), and its request with it. Closing fails the statement at once (the caller gets 503,
/// `DependencyUnavailable`), Postgres rolls back what was open when it sees the connection go,
/// and the pool opens another. Disarmed when the holder gives the connection back, and never
/// fires after that: the connection may already be someone else's.
final class LeaseWatchdog: Sendable {
    private let settled = NIOLockedValueBox(false)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private static let fired = Counter(label: "db_lease_timeouts_total")

    init(_ connection: PostgresConnection, closingAfter limit: Duration, logger: Logger) {
        let watch = Task { [settled] in
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            let fires = settled.withLockedValue { settled in
                defer { settled = true }
                return !settled
            }
            guard fires else { return }
            Self.fired.increment()
            logger.warning("a database connection was held past its lease; closing it", metadata: ["limit_ms": "\(limit.milliseconds)"])
            try? await connection.close()
        }
        task.withLockedValue { $0 = watch }
    }

    func disarm() {
        settled.withLockedValue { $0 = true }
        task.withLockedValue { $0?.cancel() }
    }
}
