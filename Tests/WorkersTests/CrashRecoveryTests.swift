import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Shared
@testable import Workers

/// Real `Workers run` processes: killed with SIGKILL, or stopped with SIGTERM, in the middle of
/// sending a message.
@Suite struct CrashRecoveryTests {
    let environment = ProcessInfo.processInfo.environment

    func startWorker(databaseURL: String, concurrency: Int = 2) throws -> TestProcess {
        let process = Process()
        process.executableURL = TestEnvironment.executable(named: "Workers")
        process.arguments = ["run", "--queues", "email", "--concurrency", "\(concurrency)"]
        var env = environment
        env["DATABASE_URL"] = databaseURL
        env["MAIL_LINK_SECRET"] = TestEnvironment.mailLinkSecret
        env["HTTP_PORT"] = "0"
        env["LOG_LEVEL"] = "warning"
        env["WORKERS_LEASE_SECONDS"] = "2"
        env["WORKERS_RESCUE_SECONDS"] = "1"
        // The sink takes 3 s for "slow" recipients; a killed attempt's claim is stale 2 s later.
        env["SMTP_TIMEOUT_SECONDS"] = "4"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        return try TestProcess(starting: process)
    }

    /// Polls until the job is running, or about five seconds have passed.
    func waitUntilRunning(_ db: Database) async throws -> Bool {
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(50))
            let running = try await db.query("SELECT 1 FROM queue.jobs WHERE state = 'running'", logger: TestEnvironment.logger)
            if !running.isEmpty { return true }
        }
        return false
    }

    func delivered(to recipient: String) throws -> Int {
        let maildir = URL(fileURLWithPath: environment["TEST_MAILDIR"] ?? "/tmp/mail").appendingPathComponent("new")
        return try FileManager.default.contentsOfDirectory(at: maildir, includingPropertiesForKeys: nil)
            .filter { try String(contentsOf: $0, encoding: .utf8).contains("To: <\(recipient)>") }.count
    }

    /// SIGTERM while a message is being sent: the worker stops claiming, finishes the job, and exits 0.
    @Test func sigtermLetsTheRunningJobFinish() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "term") { url in
            let recipient = "slow-\(UUID().uuidString.prefix(8))@example.com"
            try await TestEnvironment.withDatabase(url: url) { db in
                let logger = TestEnvironment.logger
                try await Migrator.migrate([try MigrationSet.queue()], database: db, logger: logger)
                // One slot: the job waiting behind the slow one is claimable only once the slot frees,
                // seconds after the signal, whatever the machine's speed.
                let worker = try startWorker(databaseURL: url, concurrency: 1)
                try await worker.killed {
                    let queue = JobQueue(database: db, logger: logger)
                    try await queue.enqueue([try .email(EmailJob(template: .welcome, to: recipient, nickname: "term"))])
                    #expect(try await waitUntilRunning(db))
                    try await queue.enqueue([try .email(EmailJob(template: .welcome, to: "later@example.com", nickname: "later"))])
                    // After the signal the freed slot is not used: the waiting job stays for the next worker.
                    worker.signal(SIGTERM)
                    #expect(try await worker.exited(within: .seconds(15)) == 0)
                    #expect(try delivered(to: recipient) == 1)
                    let left = try await db.query("SELECT payload->>'to', state FROM queue.jobs", logger: logger)
                        .map { try $0.decode((String, String).self) }
                    #expect(left.count == 1 && left.first?.0 == "later@example.com" && left.first?.1 == "available")
                }
            }
        }
    }

    @Test func aJobOfAKilledWorkerIsSentOnceByAnother() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "crash") { url in
            let maildir = URL(fileURLWithPath: environment["TEST_MAILDIR"] ?? "/tmp/mail").appendingPathComponent("new")
            let recipient = "slow-\(UUID().uuidString.prefix(8))@example.com"
            func delivered() throws -> Int {
                try FileManager.default.contentsOfDirectory(at: maildir, includingPropertiesForKeys: nil)
                    .filter { try String(contentsOf: $0, encoding: .utf8).contains("To: <\(recipient)>") }.count
            }

            try await TestEnvironment.withDatabase(url: url) { db in
                let logger = TestEnvironment.logger
                try await Migrator.migrate([try MigrationSet.queue()], database: db, logger: logger)
                // Killed once it holds the job, while the sink is still receiving.
                try await startWorker(databaseURL: url).killed {
                    try await JobQueue(database: db, logger: logger).enqueue([try .email(EmailJob(template: .welcome, to: recipient, nickname: "crash"))])
                    var holder: String?
                    for _ in 0..<100 where holder == nil {
                        try await Task.sleep(for: .milliseconds(50))
                        holder = try await db.query("SELECT locked_by FROM queue.jobs WHERE state = 'running'", logger: logger)
                            .first.flatMap { try? $0.decode(String.self) }
                    }
                    #expect(holder != nil)
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(try delivered() == 0)

                let second = try startWorker(databaseURL: url)
                try await second.killed {
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
    }
}
