import ServiceLifecycle

extension TestEnvironment {
    /// Runs `services` for the duration of `body`, then shuts them down gracefully and waits
    /// for them, whether `body` returned or threw.
    public static func whileRunning<T: Sendable>(_ services: [any Service], _ body: () async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            do {
                let result = try await body()
                await group.triggerGracefulShutdown()
                try await tasks.next()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
