import Foundation
import Logging
import PostgresNIO
import Shared

/// Sends welcome, verification and reset mail. One message per job: a delivery is recorded by
/// job id once the server accepts it, and a job that runs again finds that record and stops.
struct EmailHandler: JobHandler {
    let mailer: SMTPMailer
    let database: Database

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        let email = try job.decodePayload(as: EmailJob.self)
        let delivered = try await database.query(
            "SELECT 1 FROM queue.email_deliveries WHERE job_id = \(job.id)", logger: logger)
        if !delivered.isEmpty {
            logger.info("email already delivered; not sending again")
            return
        }
        let message = try EmailTemplates.render(email, from: mailer.settings.from, messageID: "job-\(job.id)@contentplatform")
        do {
            try await mailer.send(to: email.to, message: message)
        } catch let failure as SMTPMailer.Failure {
            switch failure {
            case .transient(let reason): throw JobFailure(reason)
            case .permanent(let reason): throw JobFailure(reason, permanent: true)
            }
        }
        try await database.query("""
            INSERT INTO queue.email_deliveries (job_id, recipient, template) VALUES (\(job.id), \(email.to), \(email.template.rawValue))
            ON CONFLICT (job_id) DO NOTHING
            """, logger: logger)
        logger.info("email sent", metadata: ["template": .string(email.template.rawValue)])
    }
}
