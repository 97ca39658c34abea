import NIOConcurrencyHelpers

/// Runs one load per key at a time: callers that miss the same key while a load is under way
/// wait for its result instead of sending the same query again.
final class SingleFlight<Value: Sendable>: Sendable {
    private let flights = NIOLockedValueBox([String: Task<Value, any Error>]())

    /// The result of `load` for `key`, shared with every concurrent caller of the same key;
    /// `joined` is true for the callers that waited on another's load.
    func run(_ key: String, _ load: @escaping @Sendable () async throws -> Value) async throws -> (value: Value, joined: Bool) {
        let (task, joined) = flights.withLockedValue { flights -> (Task<Value, any Error>, Bool) in
            if let running = flights[key] { return (running, true) }
            // Unstructured on purpose: the load outlives a leader whose client goes away.
            let task = Task { try await load() }
            flights[key] = task
            return (task, false)
        }
        if !joined {
            _ = await task.result
            flights.withLockedValue { _ = $0.removeValue(forKey: key) }
        }
        return (try await task.value, joined)
    }
}
