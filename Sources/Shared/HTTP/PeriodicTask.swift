import Logging
import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown; a failure is logged and retried next time.
public struct PeriodicTask: Service {
    let interval: Duration
    let logger: Logger
    let body: @Sendable () async throws -> Void

    public init(every interval: Duration, logger: Logger, _ body: @escaping @Sendable () async throws -> Void) {
        self.interval = interval
        self.logger = logger
        self.body = body
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do { try await body() } catch { logger.warning("periodic task failed", metadata: ["error": "\(error)"]) }
            }
        }
    }
}
