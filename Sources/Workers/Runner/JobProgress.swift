/// How a running job tells how far it is: the runner binds `report` around each job and stores
/// the last figure with the next lease heartbeat (`queue.jobs.progress`).
enum JobProgress {
    @TaskLocal static var report: (@Sendable (Double) -> Void)?

    /// `fraction` is clamped to 0...1; outside a runner (a test calling a handler) it goes nowhere.
    static func update(_ fraction: Double) {
        report?(min(max(fraction.isFinite ? fraction : 0, 0), 1))
    }
}
