import Foundation
import Testing
@testable import Shared

/// `/metrics` carries the process's own memory, CPU, descriptors, threads and start time, read
/// from `/proc/self` at each scrape.
@Suite struct ProcessMetricsTests {
    func value(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix("\(name) ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func theProcessFiguresAreExported() throws {
        MetricsSetup.bootstrap()
        let text = String(decoding: MetricsSetup.exposition(), as: UTF8.self)
        let resident = try #require(value("process_resident_memory_bytes", in: text))
        let virtual = try #require(value("process_virtual_memory_bytes", in: text))
        #expect(resident > 1_000_000 && resident <= virtual)
        let open = try #require(value("process_open_fds", in: text))
        let limit = try #require(value("process_max_fds", in: text))
        #expect(open >= 3 && open <= limit)
        #expect(try #require(value("process_threads", in: text)) >= 1)
        let started = try #require(value("process_start_time_seconds", in: text))
        let now = Date().timeIntervalSince1970
        #expect(started <= now + 1 && started > now - 86_400, "\(started) against \(now)")

        // CPU time is a counter: it grows with work and never goes down.
        let before = try #require(value("process_cpu_seconds_total", in: text))
        var spin = 0.0
        let deadline = ContinuousClock.now + .milliseconds(200)
        while ContinuousClock.now < deadline { spin += sin(spin) }
        let after = try #require(value("process_cpu_seconds_total", in: String(decoding: MetricsSetup.exposition(), as: UTF8.self)))
        #expect(after > before, "\(spin)")
    }
}
