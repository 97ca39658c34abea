import Logging
import Metrics
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Work a request starts but does not wait for, run one piece at a time. On graceful shutdown the
/// queue is closed and what is already in it still runs before the pools close.
///
/// `forgot` uses it so its answer takes the same time whether or not the account exists.
final class BackgroundWork: Service, Sendable {
    typealias Work = @Sendable () async -> Void

    private let stream: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation
    private let logger: Logger
    private let droppedCount = NIOLockedValueBox(0)
    private let dropped = Counter(label: "auth_background_work_dropped_total")

    /// - Parameter capacity: pieces waiting at most; beyond it new ones are dropped (a flood of
    ///   reset requests must not grow memory without bound), counted and logged.
    init(capacity: Int = 10_000, logger: Logger) {
        (stream, continuation) = AsyncStream.makeStream(of: Work.self, bufferingPolicy: .bufferingOldest(capacity))
        self.logger = logger
    }

    /// Queues `work`; false when the queue was full and it was dropped.
    @discardableResult
    func submit(_ work: @escaping Work) -> Bool {
        guard case .dropped = continuation.yield(work) else { return true }
        dropped.increment()
        let total = droppedCount.withLockedValue { count in
            count += 1
            return count
        }
        // One line per thousand, so a flood does not become a flood of logs too.
        if total == 1 || total.isMultiple(of: 1000) {
            logger.warning("background work dropped: the queue is full", metadata: ["dropped_total": "\(total)"])
        }
        return false
    }

    /// How many pieces were dropped since start.
    var droppedTotal: Int { droppedCount.withLockedValue { $0 } }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await work in stream { await work() }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }
}
