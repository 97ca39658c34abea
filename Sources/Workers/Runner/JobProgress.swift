import NIOConcurrencyHelpers
import Shared

/// How far running jobs are, as their handlers report it: the runner sends the last figure of
/// each with the next lease heartbeat (`queue.jobs.progress`). One per Workers process, handed
/// to the runner and to the handlers that report.
final class JobProgress: Sendable {
    private let fractions = NIOLockedValueBox([Int64: Double]())
    private let onUpdate: (@Sendable (Int64, Double) -> Void)?

    /// - Parameter onUpdate: sees every report (tests).
    init(onUpdate: (@Sendable (Int64, Double) -> Void)? = nil) {
        self.onUpdate = onUpdate
    }

    /// `fraction` is clamped to 0...1.
    func update(_ job: ClaimedJob, _ fraction: Double) {
        let clamped = min(max(fraction.isFinite ? fraction : 0, 0), 1)
        fractions.withLockedValue { $0[job.id] = clamped }
        onUpdate?(job.id, clamped)
    }

    var snapshot: [Int64: Double] { fractions.withLockedValue { $0 } }

    func forget(_ ids: some Sequence<Int64>) {
        fractions.withLockedValue { values in
            for id in ids { values[id] = nil }
        }
    }
}
