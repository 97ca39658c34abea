import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO

/// Closes a leased connection whose holder kept it past the lease's limit. A statement on a
/// connection to a server cut off by a partition, or hung, otherwise waits for TCP's own timeouts
/// (minutes), and its request with it. Closing fails the statement at once (the caller gets 503,
/// `DependencyUnavailable`), Postgres rolls back what was open when it sees the connection go,
/// and the pool opens another. The holder settles the watchdog before it gives the connection
/// back: one that already fired is waited for, so the pool never lends a connection that is
/// closing under someone else.
final class LeaseWatchdog: Sendable {
    private enum State {
        case armed(Task<Void, Never>?)
        case firing(Task<Void, Never>)
        case settled
    }

    private let state = NIOLockedValueBox(State.armed(nil))
    private static let fired = Counter(label: "db_lease_timeouts_total")

    init(_ connection: PostgresConnection, closingAfter limit: Duration, logger: Logger) {
        let sleeper = Task { [state] in
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            let close = state.withLockedValue { state -> Task<Void, Never>? in
                guard case .armed = state else { return nil }
                let close = Task {
                    Self.fired.increment()
                    logger.warning("a database connection was held past its lease; closing it", metadata: ["limit_ms": "\(limit.milliseconds)"])
                    try? await connection.close()
                }
                state = .firing(close)
                return close
            }
            await close?.value
        }
        state.withLockedValue { state in
            if case .armed = state { state = .armed(sleeper) }
        }
    }

    /// Called by the holder when it is done, before the connection goes back to the pool.
    func settle() async {
        let pending = state.withLockedValue { state -> Task<Void, Never>? in
            defer { state = .settled }
            switch state {
            case .armed(let sleeper):
                sleeper?.cancel()
                return nil
            case .firing(let close):
                return close
            case .settled:
                return nil
            }
        }
        await pending?.value
    }
}
