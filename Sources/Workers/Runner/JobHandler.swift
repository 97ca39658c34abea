import Logging
import Shared

/// Does the work of one kind of job. Handlers must be idempotent: a job whose worker died after
/// the work but before recording it runs again, and must not have a second effect.
protocol JobHandler: Sendable {
    /// Throw `JobFailure(permanent: true)` when retrying cannot help; any other error is retried.
    func handle(_ job: ClaimedJob, logger: Logger) async throws

    /// The job's last attempt died with its worker (its lease ran out) and it is dead now: what
    /// the handler would have done on a last attempt that failed (a video fails rather than stay
    /// `processing` for good). Called by the worker that found it, which may serve other queues.
    func buried(_ job: ClaimedJob, logger: Logger) async throws
}

extension JobHandler {
    func buried(_ job: ClaimedJob, logger: Logger) async throws {}
}

/// Which handler runs which kind.
struct JobHandlers: Sendable {
    private var byKind: [String: any JobHandler] = [:]

    init() {}

    mutating func register(_ kind: String, _ handler: any JobHandler) {
        byKind[kind] = handler
    }

    func handler(for kind: String) -> (any JobHandler)? {
        byKind[kind]
    }
}
