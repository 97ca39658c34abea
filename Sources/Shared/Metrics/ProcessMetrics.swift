import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// The process's own figures under the names Prometheus' client libraries use (memory, CPU, file
/// descriptors, threads, start time), read from `/proc/self` each time `/metrics` is scraped: a
/// leak or a descriptor that is never closed shows as a rising line without another tool.
enum ProcessMetrics {
    private static let registry = MetricsSetup.registry
    private static let resident = registry.makeGauge(descriptor: .init(metricName: "process_resident_memory", unitName: "bytes", helpText: "Resident memory size in bytes."))
    private static let virtual = registry.makeGauge(descriptor: .init(metricName: "process_virtual_memory", unitName: "bytes", helpText: "Virtual memory size in bytes."))
    private static let openFDs = registry.makeGauge(descriptor: .init(metricName: "process_open", unitName: "fds", helpText: "Number of open file descriptors."))
    private static let maxFDs = registry.makeGauge(descriptor: .init(metricName: "process_max", unitName: "fds", helpText: "Maximum number of open file descriptors."))
    private static let threads = registry.makeGauge(descriptor: .init(metricName: "process", unitName: "threads", helpText: "Number of OS threads."))
    private static let started = registry.makeGauge(descriptor: .init(metricName: "process_start_time", unitName: "seconds", helpText: "Start time of the process since the epoch, in seconds."))
    private static let cpu = registry.makeCounter(descriptor: .init(metricName: "process_cpu_seconds", unitName: "total", helpText: "User and system CPU time spent, in seconds."))
    /// CPU seconds already counted: the counter only goes up, by what was spent since the last scrape.
    private static let cpuCounted = NIOLockedValueBox(0.0)

    static func sample() {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return }
        // After "pid (comm)": field 3 is state, so fields[n - 3] is the stat(5) field n.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        func field(_ number: Int) -> Double { fields.count > number - 3 ? Double(fields[number - 3]) ?? 0 : 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        threads.set(field(20))
        virtual.set(field(23))
        resident.set(field(24) * Double(sysconf(Int32(_SC_PAGESIZE))))
        if let bootTime { started.set(bootTime + field(22) / ticks) }
        let spent = (field(14) + field(15)) / ticks
        let delta = cpuCounted.withLockedValue { counted -> Double in
            defer { counted = max(counted, spent) }
            return spent - counted
        }
        if delta > 0 { cpu.increment(by: delta) }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") { openFDs.set(Double(entries.count)) }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(Double(limit.rlim_cur)) }
        #endif
    }

    /// The machine's boot time (`btime` in /proc/stat), which process start ticks count from.
    private static let bootTime: Double? = {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }) else { return nil }
        return Double(line.dropFirst(6))
    }()
}
