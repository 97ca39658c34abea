import Metrics
import NIOConcurrencyHelpers

/// The semantic layer's index: the cached questions' embeddings in this process, searched by
/// brute force.
///
/// No vector extension is packaged for our Postgres, and at this scale none is needed: tens of
/// thousands of unit vectors of a few hundred dimensions are scanned in a few milliseconds, only
/// on a cache miss, and the whole index is a few tens of megabytes. Redis holds the vectors for
/// every instance (`AnswerCache`); each instance loads them at start and then follows what the
/// others add. Bounded: beyond `capacity` the oldest entries go.
final class SemanticIndex: Sendable {
    struct Match: Sendable, Equatable {
        var digest: String
        var similarity: Float
    }

    private struct State {
        var digests: [String] = []
        var vectors: [[Float]] = []
        var positions: [String: Int] = [:]
        /// The newest `addedAt` loaded from Redis, where the next sync starts.
        var syncedUpTo: Int64 = 0
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())
    private let size: Gauge

    init(capacity: Int, model: String) {
        self.capacity = max(1, capacity)
        size = Gauge(label: "gpt_semantic_index_entries", dimensions: [("model", model)])
    }

    var count: Int { state.withLockedValue { $0.digests.count } }
    var syncedUpTo: Int64 { state.withLockedValue { $0.syncedUpTo } }

    func insert(digest: String, vector: [Float], addedAt: Int64? = nil) {
        let unit = Self.normalized(vector)
        let count = state.withLockedValue { state -> Int in
            if let addedAt { state.syncedUpTo = max(state.syncedUpTo, addedAt) }
            if let position = state.positions[digest] {
                state.vectors[position] = unit
                return state.digests.count
            }
            if state.digests.count >= capacity {
                // Oldest first out; rare, so the O(n) shift is fine.
                let evicted = state.digests.removeFirst()
                state.vectors.removeFirst()
                state.positions[evicted] = nil
                for (index, digest) in state.digests.enumerated() { state.positions[digest] = index }
            }
            state.positions[digest] = state.digests.count
            state.digests.append(digest)
            state.vectors.append(unit)
            return state.digests.count
        }
        size.record(count)
    }

    func remove(digest: String) {
        let count = state.withLockedValue { state -> Int in
            guard let position = state.positions.removeValue(forKey: digest) else { return state.digests.count }
            state.digests.remove(at: position)
            state.vectors.remove(at: position)
            for index in position..<state.digests.count { state.positions[state.digests[index]] = index }
            return state.digests.count
        }
        size.record(count)
    }

    /// The `limit` entries most similar to `vector` at or above `threshold`, best first.
    func nearest(_ vector: [Float], threshold: Float, limit: Int = 3) -> [Match] {
        let query = Self.normalized(vector)
        return state.withLockedValue { state in
            var best: [Match] = []
            for (index, candidate) in state.vectors.enumerated() where candidate.count == query.count {
                var dot: Float = 0
                for i in 0..<query.count { dot += query[i] * candidate[i] }
                guard dot >= threshold else { continue }
                if best.count < limit || dot > best[best.count - 1].similarity {
                    best.append(Match(digest: state.digests[index], similarity: dot))
                    best.sort { $0.similarity > $1.similarity }
                    if best.count > limit { best.removeLast() }
                }
            }
            return best
        }
    }

    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
