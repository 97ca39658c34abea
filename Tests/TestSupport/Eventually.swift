/// Polls `condition` until it holds or `timeout` passes: tests wait on state, never for a fixed time.
public func eventually(timeout: Duration = .seconds(5), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
    try await eventuallyValue(timeout: timeout) { try await condition() ? true : nil } ?? false
}

/// Polls `produce` until it gives a value or `timeout` passes.
public func eventuallyValue<T: Sendable>(timeout: Duration = .seconds(5), _ produce: @Sendable () async throws -> T?) async throws -> T? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await produce() { return value }
        try await Task.sleep(for: .milliseconds(25))
    }
    return try await produce()
}
