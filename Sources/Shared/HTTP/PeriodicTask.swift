import Logging
import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown; a failure is logged and retried next time.
public struct PeriodicTask: Service {
    let interval: Duration
    let logger: Logger
    let body: @Sendable () async throws -> Void
    let startsNow: Bool

    /// - Parameter startsNow: run `body` once at start too, not only after the first interval.
    public init(every interval: Duration, startsNow: Bool = false, logger: Logger, _ body: @escaping @Sendable () async throws -> Void) {
        self.interval = interval
        self.logger = logger
        self.body = body
        self.startsNow = startsNow
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            if startsNow {
                do { try await body() } catch { logger.warning("periodic task failed", metadata: ["error": "\(error.reason)"]) }
            }
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do { try await body() } catch { logger.warning("periodic task failed", metadata: ["error": "\(error.reason)"]) }
            }
        }
    }
}
