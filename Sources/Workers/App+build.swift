import Configuration
import Foundation
import Hummingbird
import Shared

enum WorkerQueues {
    /// What `Workers run` consumes unless told otherwise.
    static let defaults = ["email", "thumbnail", "transcode", "audit"]
    /// `bench` holds the load tests' no-op jobs.
    static let all = Set(defaults + ["bench"])
}

/// Composes a Workers process: the job runner for `queues`, and health, readiness and metrics on
/// its own port.
func buildApplication(reader: ConfigReader, queues: [String] = WorkerQueues.defaults, concurrency: Int = 16) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "workers", defaultPort: 8084, reader: reader, defaultLeaseTimeout: .seconds(120)))
    let config = WorkersConfig(reader: reader, queues: queues, concurrency: concurrency)
    if config.mailTimeoutLowered {
        runtime.logger.warning("SMTP_TIMEOUT_SECONDS lowered under the shutdown grace", metadata: ["seconds": "\(config.mail.timeout.seconds)"])
    }
    let mailer = SMTPMailer(settings: config.mail)
    let seal = try MailLinkSeal(configuredSecret: config.mailLinkSecret)
    if seal == nil, queues.contains(EmailJob.queue) {
        throw ConfigurationError("MAIL_LINK_SECRET is not set: the email queue's verification and reset links are sealed with it (Auth's value)")
    }
    var handlers = JobHandlers()
    handlers.register("noop", NoopHandler())
    handlers.register(EmailJob.kind, EmailHandler(mailer: mailer, database: runtime.database, seal: seal))
    let audit = AuditIngester(database: runtime.database)
    handlers.register(AuditEvent.kind, audit)
    handlers.register(AuditEvent.batchKind, audit)
    handlers.register(UserErasure.kind, UserErasureHandler(database: runtime.database))
    let outputs = VideoOutputs(database: runtime.database, media: MediaLayout(root: URL(fileURLWithPath: config.mediaDirectory)))
    handlers.register(ThumbnailJob.kind, ThumbnailHandler(outputs: outputs))
    let progress = JobProgress()
    var transcode = TranscodeHandler(outputs: outputs, progress: progress)
    transcode.timeout = config.transcodeTimeout
    handlers.register(TranscodeJob.kind, transcode)
    let runner = JobRunner(settings: config.runner, queue: JobQueue(database: runtime.database, logger: runtime.logger), handlers: handlers, progress: progress, logger: runtime.logger)
    let partitions = AuditPartitions(database: runtime.database, logger: runtime.logger)
    let router = runtime.makeRouter()
    var app = try runtime.makeApplication(
        router: router, services: [runner, PeriodicTask("preparing audit partitions", every: .seconds(6 * 3600), logger: runtime.logger) { try await partitions.ensure() }],
        migrations: [try MigrationSet(schema: "audit", bundle: .module)])
    app.beforeServerStarts {
        try await partitions.ensure()
        runner.begin()
    }
    return app
}

/// This target's resources (its migrations), for tests that migrate without building the app.
let resourceBundle = Bundle.module
