import Logging
import PostgresNIO
import ServiceLifecycle

/// Background work on a timer, the one loop every service uses: runs `body` every `interval`
/// until graceful shutdown, then `onShutdown` once (a last drain, so nothing waits for the next
/// start). A failure is logged under the task's name and retried next time.
public struct PeriodicTask: Service {
    let name: String
    let interval: Duration
    let startsNow: Bool
    let logger: Logger
    let onShutdown: (@Sendable () async throws -> Void)?
    let body: @Sendable () async throws -> Void

    /// - Parameters:
    ///   - name: what the task does, for its log lines ("folding likes").
    ///   - startsNow: run `body` once at start too, not only after the first interval.
    public init(_ name: String, every interval: Duration, startsNow: Bool = false, logger: Logger,
                onShutdown: (@Sendable () async throws -> Void)? = nil, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.startsNow = startsNow
        self.logger = logger
        self.onShutdown = onShutdown
        self.body = body
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            if startsNow { await runOnce(body) }
            await repeating()
        }
        if let onShutdown { await runOnce(onShutdown) }
    }

    /// The loop alone, until the calling task is cancelled rather than until graceful shutdown:
    /// for duties that must go on while a service winds down (a worker's heartbeats while its
    /// last jobs finish).
    public func repeating() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            await runOnce(body)
        }
    }

    private func runOnce(_ work: @Sendable () async throws -> Void) async {
        do {
            try await work()
        } catch is CancellationError {
            // Shutting down, not failing.
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            // Before the first start's migrations have run the tables are not there yet: expected
            // for a moment.
            logger.debug("\(name) failed", metadata: ["error": "\(error.reason)"])
        } catch {
            logger.warning("\(name) failed", metadata: ["error": "\(error.reason)"])
        }
    }
}
