import Foundation
import Logging
import PostgresNIO
import Shared

/// Sends welcome, verification and reset mail, at least once and, short of a crash between the
/// server's acceptance and the next statement (or a Postgres outage longer than the job's lease),
/// exactly once; every attempt of a job carries the same Message-ID, so a duplicate is
/// recognisable as one.
///
/// An attempt first claims the job's row in `queue.email_deliveries` ('sending'), sends, then
/// marks it 'sent'. Another attempt that finds the row 'sent' stops; 'sending' and recent (within
/// the longest a send can take) means one is in flight elsewhere: it waits for a later retry.
/// A 'sending' row older than that is an attempt that died mid-send: the mail may or may not have
/// gone out, so it is sent again.
struct EmailHandler: JobHandler {
    let mailer: SMTPMailer
    let database: Database
    /// Opens the links Auth sealed; nil when `MAIL_LINK_SECRET` is not set (such a process runs no
    /// email queue: `buildApplication` refuses).
    let seal: MailLinkSeal?

    func handle(_ job: ClaimedJob, logger: Logger) async throws {
        let email = try job.decodePayload(as: EmailJob.self)
        let link: String?
        do {
            link = try email.link(openedWith: seal)
        } catch {
            // Another secret than Auth's: retried, so mending the configuration saves the mail.
            throw JobFailure(error.reason)
        }
        // A send ends within the mailer's timeout (connection included); a claim older than
        // that, plus slack, belongs to an attempt that is gone.
        let stale = (mailer.settings.timeout + .seconds(2)).milliseconds
        // The farewell to a deleted account keeps no address behind (`UserErasure` removed the rest).
        let recipient = email.template == .accountDeleted ? "" : email.to
        let claimed = try await database.query("""
            INSERT INTO queue.email_deliveries AS d (job_id, recipient, template, state, started_at)
            VALUES (\(job.id), \(recipient), \(email.template.rawValue), 'sending', now())
            ON CONFLICT (job_id) DO UPDATE SET started_at = now()
                WHERE d.state = 'sending' AND d.started_at < now() - \(stale) * interval '1 millisecond'
            RETURNING 1
            """, logger: logger)
        guard !claimed.isEmpty else {
            let state = try await database.query("SELECT state FROM queue.email_deliveries WHERE job_id = \(job.id)", logger: logger)
                .first?.decode(String.self)
            if state == "sent" {
                logger.info("email already delivered; not sending again")
                return
            }
            throw JobFailure("another attempt of this job is sending it")
        }
        let message = try EmailTemplates.render(email, link: link, from: mailer.settings.from, messageID: "job-\(job.id)@contentplatform")
        do {
            try await mailer.send(to: email.to, message: message)
        } catch {
            // Not sent: free the claim so the next attempt sends at once.
            _ = try? await database.query("DELETE FROM queue.email_deliveries WHERE job_id = \(job.id) AND state = 'sending'", logger: logger)
            if let failure = error as? SMTPMailer.Failure {
                switch failure {
                case .transient(let reason): throw JobFailure(reason)
                case .permanent(let reason): throw JobFailure(reason, permanent: true)
                }
            }
            throw error
        }
        try await recordSent(job, logger: logger)
        logger.info("email sent", metadata: ["template": .string(email.template.rawValue)])
    }

    /// Sent: the record must follow, or a retry would send the mail again. Postgres away at this
    /// moment (a restart) is waited for as long as this attempt holds the job; shutdown or a lost
    /// lease cancels the wait.
    private func recordSent(_ job: ClaimedJob, logger: Logger) async throws {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try await database.query("""
                    UPDATE queue.email_deliveries SET state = 'sent', sent_at = now() WHERE job_id = \(job.id)
                    """, logger: logger)
                return
            } catch where !Task.isCancelled {
                logger.warning("recording a sent email failed; trying again", metadata: ["error": .string(error.reason)])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
