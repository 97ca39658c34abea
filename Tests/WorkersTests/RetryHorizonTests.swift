import Testing
@testable import Shared

/// How long a mail keeps being retried when the mail server is down: the sum of the runner's
/// backoff delays over the job's attempts, at their shortest (jitter of -10%).
@Suite struct RetryHorizonTests {
    @Test func mailOutlivesAnOutageOfHours() throws {
        let backoff = Backoff()
        var shortest: Double = 0
        for attempt in 1..<EmailJob.maxAttempts {
            shortest += min(backoff.base.seconds * Double(1 << Int(attempt)), backoff.cap.seconds) * 0.9
        }
        // Dead only after more than six hours of a refusing server.
        #expect(shortest > 6 * 3600, "\(shortest / 3600) hours")
        // A real job gets the same: its first attempts come at the delays above.
        let job = try NewJob.email(EmailJob(template: .welcome, to: "a@example.com", nickname: "a"))
        #expect(job.maxAttempts == EmailJob.maxAttempts)
    }
}
