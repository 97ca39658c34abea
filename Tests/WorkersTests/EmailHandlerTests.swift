import Foundation
import Testing
import TestSupport
@testable import Shared
@testable import Workers

/// Against the SMTP sink `deploy/dev test` starts, which saves each message in a maildir.
@Suite struct EmailHandlerTests {
    let smtpURL = ProcessInfo.processInfo.environment["SMTP_URL"] ?? "smtp://127.0.0.1:1025"
    let maildir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["TEST_MAILDIR"] ?? "/tmp/mail").appendingPathComponent("new")

    let seal = try! MailLinkSeal(secret: TestEnvironment.mailLinkSecret)

    func mailer(url: String? = nil) -> SMTPMailer {
        SMTPMailer(settings: .init(url: url ?? smtpURL, from: "Content Platform <no-reply@contentplatform.local>",
                                   connectTimeout: .seconds(2), timeout: .seconds(5)), threads: 2)
    }

    /// Messages in the sink addressed to `recipient`.
    func messages(to recipient: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(at: maildir, includingPropertiesForKeys: nil).compactMap { file in
            let text = try String(contentsOf: file, encoding: .utf8)
            return text.contains("To: <\(recipient)>") ? text : nil
        }
    }

    @Test func sendsOneVerificationMessageEvenWhenTheJobRunsTwice() async throws {
        try await withQueue { queue, db in
            let recipient = "user-\(UUID().uuidString.prefix(8))@example.com"
            let email = try EmailJob(template: .verifyEmail, to: recipient, nickname: "민수\r\nBcc: evil@example.com",
                                     link: "http://127.0.0.1:8080/api/auth/email/verify?token=abc", sealedWith: seal)
            try await queue.enqueue([try .email(email)])
            let job = try #require(try await queue.claim(queues: ["email"], limit: 1, worker: "w", lease: .seconds(30)).first)
            let handler = EmailHandler(mailer: mailer(), database: db, seal: seal)
            try await handler.handle(job, logger: TestEnvironment.logger)
            try await handler.handle(job, logger: TestEnvironment.logger)  // a rerun after a crash
            let received = try messages(to: recipient)
            #expect(received.count == 1)
            let text = try #require(received.first)
            #expect(text.contains("Subject: Confirm your email address"))
            #expect(text.contains("Hello 민수Bcc: evil@example.com,"))  // the line break is gone: no header injected
            #expect(!text.contains("\nBcc:"))
            #expect(text.contains("token=abc"))
            #expect(text.contains("Message-ID: <job-\(job.id)@contentplatform>"))
        }
    }

    /// Two attempts of one job at once (a worker that lost its lease is still sending when the
    /// job is rescued): the second finds the claim and does not send.
    @Test func twoAttemptsAtOnceSendOneMessage() async throws {
        try await withQueue { queue, db in
            let recipient = "slow-\(UUID().uuidString.prefix(8))@example.com"  // the sink takes 3 s
            try await queue.enqueue([try .email(EmailJob(template: .welcome, to: recipient, nickname: "twice"))])
            let job = try #require(try await queue.claim(queues: ["email"], limit: 1, worker: "w", lease: .seconds(30)).first)
            let handler = EmailHandler(mailer: mailer(), database: db, seal: seal)
            async let first: Void = handler.handle(job, logger: TestEnvironment.logger)
            // Once the first attempt has claimed the delivery (and is sending).
            #expect(try await eventually { try await count("queue.email_deliveries", db) == 1 })
            let second = await #expect(throws: JobFailure.self) { try await handler.handle(job, logger: TestEnvironment.logger) }
            #expect(second?.permanent == false, "the second attempt retries later")
            try await first
            #expect(try messages(to: recipient).count == 1)
            // The retry finds it sent and stops.
            try await handler.handle(job, logger: TestEnvironment.logger)
            #expect(try messages(to: recipient).count == 1)
        }
    }

    /// Postgres goes away while the SMTP server takes the mail: the attempt waits for it to come
    /// back to record the mail as sent, instead of failing and leaving a retry to send it again.
    @Test func aPostgresOutageDuringTheSendIsWaitedOutNotSentTwice() async throws {
        try await withQueue { queue, db in
            let target = URLComponents(string: TestEnvironment.databaseURL)!
            let scratch = try #require(try await db.query("SELECT current_database()", logger: TestEnvironment.logger).first?.decode(String.self))
            let proxy = try await CuttableProxy(toHost: target.host ?? "127.0.0.1", port: target.port ?? 5432)
            var proxied = target
            proxied.host = "127.0.0.1"
            proxied.port = proxy.port
            proxied.path = "/\(scratch)"
            let quiet = {
                var logger = TestEnvironment.logger
                logger.logLevel = .critical
                return logger
            }()
            let database = try Database(url: proxied.string!, applicationName: "mail-outage-test", maxConnections: 2,
                                        acquireTimeout: .seconds(1), logger: quiet)
            try await database.whileRunning { database in
                // The pool's first connection, which a loaded machine may take longer than the
                // deadline to make (the pool goes on connecting after a timed-out lease).
                #expect(try await eventually(timeout: .seconds(15)) {
                    (try? await database.query("SELECT 1", logger: quiet)) != nil
                })
                let recipient = "slow-\(UUID().uuidString.prefix(8))@example.com"  // the sink takes 3 s
                try await queue.enqueue([try .email(EmailJob(template: .welcome, to: recipient, nickname: "outage"))])
                let job = try #require(try await queue.claim(queues: ["email"], limit: 1, worker: "w", lease: .seconds(30)).first)
                let handler = EmailHandler(mailer: mailer(), database: database, seal: seal)
                async let sending: Void = handler.handle(job, logger: quiet)
                #expect(try await eventually { try await count("queue.email_deliveries", db) == 1 })
                proxy.cut()
                #expect(try await eventually(timeout: .seconds(10)) { try messages(to: recipient).count == 1 })
                // Postgres stays away past the first tries to record it (refused at once while cut).
                try await Task.sleep(for: .milliseconds(800))
                proxy.restore()
                try await sending
                let state = try await db.query("SELECT state FROM queue.email_deliveries WHERE job_id = \(job.id)", logger: TestEnvironment.logger)
                    .first?.decode(String.self)
                #expect(state == "sent")
                // The job's next run, had it failed, finds it sent.
                try await handler.handle(job, logger: quiet)
                #expect(try messages(to: recipient).count == 1)
            }
            await proxy.stop()
        }
    }

    /// An attempt that died mid-send left its claim: once it is older than any send can take, the
    /// mail is sent again (at least once), with the same Message-ID.
    @Test func theClaimOfADeadAttemptIsTakenOver() async throws {
        try await withQueue { queue, db in
            let recipient = "user-\(UUID().uuidString.prefix(8))@example.com"
            try await queue.enqueue([try .email(EmailJob(template: .welcome, to: recipient, nickname: "dead"))])
            let job = try #require(try await queue.claim(queues: ["email"], limit: 1, worker: "w", lease: .seconds(30)).first)
            try await db.query("""
                INSERT INTO queue.email_deliveries (job_id, recipient, template, state, started_at)
                VALUES (\(job.id), \(recipient), 'welcome', 'sending', now() - interval '1 hour')
                """, logger: TestEnvironment.logger)
            try await EmailHandler(mailer: mailer(), database: db, seal: seal).handle(job, logger: TestEnvironment.logger)
            let received = try messages(to: recipient)
            #expect(received.count == 1)
            #expect(received.first?.contains("Message-ID: <job-\(job.id)@contentplatform>") == true)
            let state = try await db.query("SELECT state FROM queue.email_deliveries WHERE job_id = \(job.id)", logger: TestEnvironment.logger)
            #expect(try state.first?.decode(String.self) == "sent")
        }
    }

    /// A refused send leaves no claim behind: the next attempt sends at once.
    @Test func aFailedSendFreesItsClaim() async throws {
        try await withQueue { queue, db in
            try await queue.enqueue([try .email(EmailJob(template: .welcome, to: "tempfail-claim@example.com", nickname: "x"))])
            let job = try #require(try await queue.claim(queues: ["email"], limit: 1, worker: "w", lease: .seconds(30)).first)
            await #expect(throws: JobFailure.self) { try await EmailHandler(mailer: mailer(), database: db, seal: seal).handle(job, logger: TestEnvironment.logger) }
            let rows = try await db.query("SELECT count(*) FROM queue.email_deliveries WHERE job_id = \(job.id)", logger: TestEnvironment.logger)
            #expect(try rows[0].decode(Int.self) == 0)
        }
    }

    /// The queue holds the link sealed: the token is nowhere in the payload, the link opens only
    /// with the secret and only in the mail it was sealed for, and a worker with another secret
    /// retries instead of sending a mail without its link.
    @Test func linksWaitSealedAndOpenOnlyInTheirOwnMail() async throws {
        let link = "http://127.0.0.1:8080/reset-password?token=s3cr3t-token-value"
        let email = try EmailJob(template: .passwordReset, to: "a@example.com", nickname: "a", link: link, sealedWith: seal)
        let payload = String(decoding: try JSONEncoder().encode(email), as: UTF8.self)
        #expect(!payload.contains("s3cr3t") && !payload.contains("reset-password"), "\(payload)")
        #expect(try email.link(openedWith: seal) == link)

        var moved = email
        moved.to = "b@example.com"
        #expect(throws: MailLinkSeal.Unopenable.self) { try moved.link(openedWith: seal) }
        var retemplated = email
        retemplated.template = .verifyEmail
        #expect(throws: MailLinkSeal.Unopenable.self) { try retemplated.link(openedWith: seal) }
        let other = try MailLinkSeal(secret: "another-secret-of-at-least-32-characters")
        #expect(throws: MailLinkSeal.Unopenable.self) { try email.link(openedWith: other) }
        #expect(throws: ConfigurationError.self) { try MailLinkSeal(secret: "short") }

        try await withQueue { queue, db in
            let recipient = "user-\(UUID().uuidString.prefix(8))@example.com"
            try await queue.enqueue([try .email(try EmailJob(template: .passwordReset, to: recipient, nickname: "n", link: link, sealedWith: seal))])
            let job = try #require(try await queue.claim(queues: ["email"], limit: 1, worker: "w", lease: .seconds(30)).first)
            let failure = await #expect(throws: JobFailure.self) {
                try await EmailHandler(mailer: mailer(), database: db, seal: other).handle(job, logger: TestEnvironment.logger)
            }
            #expect(failure?.permanent == false, "retried: mending the secret saves the mail")
            #expect(try messages(to: recipient).isEmpty)
            try await EmailHandler(mailer: mailer(), database: db, seal: seal).handle(job, logger: TestEnvironment.logger)
            #expect(try messages(to: recipient).first?.contains(link) == true)
        }
    }

    /// A job queued before links were sealed still carries its link plain: it is sent, and an
    /// operator listing dead jobs does not see the link.
    @Test func aPlainLinkFromBeforeSealingIsSentAndNeverShown() async throws {
        let recipient = "user-\(UUID().uuidString.prefix(8))@example.com"
        let payload = #"{"template":"verify_email","to":"\#(recipient)","nickname":"old","link":"http://x/api/auth/email/verify?token=plain-old"}"#
        let redacted = EmailJob.redacted(payload: payload)
        #expect(!redacted.contains("plain-old") && redacted.contains(recipient), "\(redacted)")
        try await withQueue { _, db in
            let job = ClaimedJob(id: 9_000_010, queue: "email", kind: EmailJob.kind, payload: payload,
                                 attempt: 1, maxAttempts: 5, createdAt: Date(), runAt: Date())
            try await EmailHandler(mailer: mailer(), database: db, seal: seal).handle(job, logger: TestEnvironment.logger)
            #expect(try messages(to: recipient).first?.contains("token=plain-old") == true)
        }
    }

    @Test func tlsIsRequiredOffThisMachineOrWithCredentials() {
        func requires(_ url: String) -> Bool { SMTPMailer.Settings(url: url, from: "a@b.c").requiresTLS }
        #expect(!requires("smtp://127.0.0.1:1025"))
        #expect(!requires("smtp://localhost:25"))
        #expect(!requires("smtp://[::1]:25"))
        #expect(requires("smtp://mail.example.com:587"))
        #expect(requires("smtp://user:secret@127.0.0.1:1025"), "a password never goes out in the clear")
        #expect(requires("smtps://mail.example.com"))
    }

    @Test func smtpAnswersDecideRetryOrDeath() async throws {
        try await withQueue { _, db in
            let handler = EmailHandler(mailer: mailer(), database: db, seal: seal)
            func failure(for address: String, id: Int64) async -> JobFailure? {
                let job = ClaimedJob(id: id, queue: "email", kind: EmailJob.kind,
                                     payload: String(decoding: try! JSONEncoder().encode(EmailJob(template: .welcome, to: address, nickname: "n")), as: UTF8.self),
                                     attempt: 1, maxAttempts: 5, createdAt: Date(), runAt: Date())
                do {
                    try await handler.handle(job, logger: TestEnvironment.logger)
                    return nil
                } catch {
                    return error as? JobFailure
                }
            }
            let rejected = await failure(for: "reject-me@example.com", id: 9_000_001)
            #expect(rejected?.permanent == true)
            #expect(rejected?.message.contains("550") == true)
            let deferred = await failure(for: "tempfail-me@example.com", id: 9_000_002)
            #expect(deferred?.permanent == false)
            #expect(deferred?.message.contains("451") == true)
            let invalid = await failure(for: "not an address", id: 9_000_003)
            #expect(invalid?.permanent == true)
        }
    }

    @Test func unreachableServerIsTransient() async throws {
        do {
            try await mailer(url: "smtp://127.0.0.1:1").send(to: "a@example.com", message: "Subject: x\r\n\r\nx\r\n")
            Issue.record("sending to a closed port succeeded")
        } catch let failure as SMTPMailer.Failure {
            guard case .transient = failure else { Issue.record("expected transient, got \(failure)"); return }
        }
    }
}
