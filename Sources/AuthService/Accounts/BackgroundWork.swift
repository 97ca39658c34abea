import ServiceLifecycle

/// Work a request starts but does not wait for, run one piece at a time. On graceful shutdown the
/// queue is closed and what is already in it still runs before the pools close.
///
/// `forgot` uses it so its answer takes the same time whether or not the account exists.
final class BackgroundWork: Service, Sendable {
    typealias Work = @Sendable () async -> Void

    private let stream: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation

    /// - Parameter capacity: pieces waiting at most; beyond it new ones are dropped (a flood of
    ///   reset requests must not grow memory without bound).
    init(capacity: Int = 10_000) {
        (stream, continuation) = AsyncStream.makeStream(of: Work.self, bufferingPolicy: .bufferingOldest(capacity))
    }

    func submit(_ work: @escaping Work) {
        continuation.yield(work)
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await work in stream { await work() }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }
}
