import Configuration
import Foundation
import Shared

/// The settings only the Workers read (README lists them with their environment variables).
struct WorkersConfig: Sendable {
    /// The job runner: queues, concurrency (`Workers run` options), lease (`WORKERS_LEASE_SECONDS`),
    /// rescue interval (`WORKERS_RESCUE_SECONDS`) and shutdown grace (`WORKERS_SHUTDOWN_GRACE_SECONDS`,
    /// at least 3 s).
    var runner: RunnerSettings
    /// The SMTP server and sender (`SMTP_URL`, `MAIL_FROM`, `SMTP_TIMEOUT_SECONDS`); a send always
    /// times out 2 s inside the shutdown grace, so a send still running when the grace ends
    /// cannot hold its job.
    var mail: SMTPMailer.Settings
    /// Whether `SMTP_TIMEOUT_SECONDS` asked for more than the grace allows (and was lowered).
    var mailTimeoutLowered: Bool
    /// Opens the links Auth seals into mail jobs (`MAIL_LINK_SECRET`, Auth's value).
    var mailLinkSecret: String?
    /// Where uploads, thumbnails and renditions live (`MEDIA_DIR`).
    var mediaDirectory: String
    /// The longest one transcode may run (`WORKERS_TRANSCODE_TIMEOUT_SECONDS`).
    var transcodeTimeout: Duration

    init(reader: ConfigReader, queues: [String], concurrency: Int) {
        runner = RunnerSettings(queues: queues, concurrency: concurrency)
        runner.lease = .seconds(reader.int(forKey: "workers.lease.seconds", default: 30))
        runner.rescueInterval = .seconds(reader.int(forKey: "workers.rescue.seconds", default: 5))
        runner.shutdownGrace = .seconds(max(3, reader.int(forKey: "workers.shutdown.grace.seconds", default: 20)))
        mail = SMTPMailer.Settings(
            url: reader.string(forKey: "smtp.url", default: "smtp://127.0.0.1:1025"),
            from: reader.string(forKey: "mail.from", default: "Content Platform <no-reply@contentplatform.local>"))
        let mailTimeout = Duration.seconds(reader.int(forKey: "smtp.timeout.seconds", default: 15))
        mail.timeout = min(mailTimeout, runner.shutdownGrace - .seconds(2))
        mailTimeoutLowered = mail.timeout < mailTimeout
        mailLinkSecret = reader.string(forKey: "mail.link.secret", isSecret: true)
        mediaDirectory = reader.string(forKey: "media.dir", default: "media")
        transcodeTimeout = .seconds(reader.int(forKey: "workers.transcode.timeout.seconds", default: 1800))
    }
}
