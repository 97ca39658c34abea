import Logging
import ServiceLifecycle

/// Keeps this instance's semantic index in step with the vectors every instance stores in Redis:
/// everything at start, then what was added since, every `interval`.
struct SemanticSync: Service {
    let index: SemanticIndex
    let cache: AnswerCache
    let model: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await syncOnce() } catch { logger.warning("semantic index sync failed", metadata: ["error": "\(error.reason)"]) }
                try await Task.sleep(for: interval)
            }
        }
    }

    func syncOnce() async throws {
        while true {
            let added = try await cache.vectors(model: model, addedAfter: index.syncedUpTo, limit: 1000)
            for entry in added { index.insert(digest: entry.digest, vector: entry.vector, addedAt: entry.addedAt) }
            if added.count < 1000 { return }
        }
    }
}
