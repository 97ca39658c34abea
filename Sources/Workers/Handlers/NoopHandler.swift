import Logging
import Shared

/// Does nothing: the `bench` queue uses it to measure the queue itself.
struct NoopHandler: JobHandler {
    func handle(_ job: ClaimedJob, logger: Logger) async throws {}
}
