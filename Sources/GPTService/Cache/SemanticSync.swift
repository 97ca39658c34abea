import Logging
import Shared

/// Keeps this instance's semantic index in step with the vectors every instance stores in Redis:
/// everything at start, then what was added since, every `interval`.
struct SemanticSync: Sendable {
    let index: SemanticIndex
    let cache: AnswerCache
    let model: String
    let interval: Duration
    let logger: Logger

    var task: PeriodicTask {
        PeriodicTask("semantic index sync", every: interval, startsNow: true, logger: logger) { try await syncOnce() }
    }

    func syncOnce() async throws {
        while true {
            let added = try await cache.vectors(model: model, addedAfter: index.syncedUpTo, limit: 1000)
            for entry in added { index.insert(digest: entry.digest, vector: entry.vector, addedAt: entry.addedAt) }
            if added.count < 1000 { return }
        }
    }
}
