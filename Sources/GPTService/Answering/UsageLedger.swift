import Foundation
import Metrics
import Shared

/// Every answered question as a `gpt.asked` audit event, for the analysts' cost and savings views
/// (docs/analytics.md). Batched: no database change goes with an answer, so the events are
/// written by group commit rather than one transaction each.
struct UsageLedger: Sendable {
    let batcher: JobBatcher<AuditEvent>

    private static let answers = Dictionary(uniqueKeysWithValues: AnswerSource.allCases.map {
        ($0, Counter(label: "gpt_answers_total", dimensions: [("source", $0.rawValue)]))
    })

    func record(_ answer: Answer, _ asked: Asked) {
        Self.answers[answer.source]?.increment()
        let latency = ContinuousClock.now - asked.started
        // No client address: an anonymous asker is its keyed digest in `subject`, and the
        // ledger is for cost and savings, not for finding people (docs/security.md).
        let event = AuditEvent(
            .questionAnswered, actorID: asked.subject.userID, targetType: "question", targetID: asked.digest,
            payload: [
                "source": answer.source.rawValue,
                "model": answer.model,
                "tier": asked.subject.tier.rawValue,
                "subject": asked.subject.key,
                // The normalised question, cut short: enough for "top questions", not a transcript,
                // and short in bytes too, however many marks one character carries.
                "question": asked.normalized.prefix(scalars: 100, bytes: 400),
                "promptTokens": String(answer.promptTokens),
                "completionTokens": String(answer.completionTokens),
                "costMicros": String(SpendBudget.micros(answer.cost)),
                "latencyMs": String(latency.milliseconds),
            ],
            origin: AuditOrigin(clientAddress: nil, userAgent: asked.request.headers[.userAgent].map { $0.prefix(scalars: 200, bytes: 400) }))
        batcher.submit(event)
    }
}
