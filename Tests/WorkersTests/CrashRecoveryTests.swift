import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Shared
@testable import Workers

/// Real `Workers run` processes: one is killed with SIGKILL in the middle of sending a message; a
/// second one rescues the job when its lease runs out and sends it. Exactly one message arrives.
@Suite struct CrashRecoveryTests {
    let environment = ProcessInfo.processInfo.environment

    /// The `Workers` executable built beside the test bundle.
    var workersBinary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Workers").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("Workers")
    }

    func startWorker(databaseURL: String) throws -> Process {
        let process = Process()
        process.executableURL = workersBinary
        process.arguments = ["run", "--queues", "email", "--concurrency", "2"]
        var env = environment
        env["DATABASE_URL"] = databaseURL
        env["HTTP_PORT"] = "0"
        env["LOG_LEVEL"] = "warning"
        env["WORKERS_LEASE_SECONDS"] = "2"
        env["WORKERS_RESCUE_SECONDS"] = "1"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func kill9(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func aJobOfAKilledWorkerIsSentOnceByAnother() async throws {
        let url = try await TestEnvironment.scratchDatabase(prefix: "crash")
        let maildir = URL(fileURLWithPath: environment["TEST_MAILDIR"] ?? "/tmp/mail").appendingPathComponent("new")
        let recipient = "slow-\(UUID().uuidString.prefix(8))@example.com"
        func delivered() throws -> Int {
            try FileManager.default.contentsOfDirectory(at: maildir, includingPropertiesForKeys: nil)
                .filter { try String(contentsOf: $0, encoding: .utf8).contains("To: <\(recipient)>") }.count
        }

        try await TestEnvironment.withDatabase(url: url) { db in
            let logger = TestEnvironment.logger
            try await Migrator.migrate([try MigrationSet.queue()], database: db, logger: logger)
            let first = try startWorker(databaseURL: url)
            defer { kill9(first) }
            try await JobQueue(database: db, logger: logger).enqueue([try .email(EmailJob(template: .welcome, to: recipient, nickname: "crash"))])

            // Wait until the first worker holds the job, then kill it while the sink is still receiving.
            var holder: String?
            for _ in 0..<100 where holder == nil {
                try await Task.sleep(for: .milliseconds(50))
                holder = try await db.query("SELECT locked_by FROM queue.jobs WHERE state = 'running'", logger: logger)
                    .first.flatMap { try? $0.decode(String.self) }
            }
            #expect(holder != nil)
            try await Task.sleep(for: .milliseconds(500))
            kill9(first)
            #expect(try delivered() == 0)

            let second = try startWorker(databaseURL: url)
            defer { kill9(second) }
            var left = 1
            for _ in 0..<300 where left > 0 {
                try await Task.sleep(for: .milliseconds(100))
                left = try await db.query("SELECT count(*) FROM queue.jobs", logger: logger)[0].decode(Int.self)
            }
            #expect(left == 0)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try delivered() == 1)
            let attempts = try await db.query("SELECT count(*) FROM queue.email_deliveries", logger: logger)[0].decode(Int.self)
            #expect(attempts == 1)
        }
    }
}
