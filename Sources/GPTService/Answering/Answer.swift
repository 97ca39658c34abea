import Foundation
import Shared

/// Where an answer came from: a cache layer, another caller's upstream call, or our own.
enum AnswerSource: String, Sendable, Codable, CaseIterable {
    case exact, lexical, semantic, merged, upstream

    var isCached: Bool { self != .upstream && self != .merged }
}

/// A finished answer and what it cost.
struct Answer: Sendable, Equatable {
    var text: String
    var source: AnswerSource
    var model: String
    var promptTokens = 0
    var completionTokens = 0
    /// Estimated price of the upstream call this caller caused; 0 for everyone else.
    var cost: Double = 0
}

/// The errors of the question path that have an HTTP answer.
enum AskFailure: Error, APIErrorConvertible, Equatable {
    case quotaExceeded(DailyQuota.Status, retryAfter: Int)
    case burst(retryAfter: Duration)
    case budgetExhausted(retryAfter: Int)
    case upstreamUnavailable(retryAfter: Duration)
    case overloaded

    var apiError: APIError {
        switch self {
        case .quotaExceeded(_, let seconds):
            .tooManyRequests("The daily question quota is used up; cached answers are still served", code: "quota_exceeded", retryAfter: seconds)
        case .burst(let wait):
            .tooManyRequests("Too many questions at once, slow down", code: "rate_limited", retryAfter: wait.wholeSecondsUp)
        case .budgetExhausted(let seconds):
            .unavailable("Today's budget for the language model is spent; only cached answers are served", code: "budget_exhausted", retryAfter: seconds)
        case .upstreamUnavailable(let wait):
            .unavailable("The language model is unavailable, try again shortly", code: "upstream_unavailable", retryAfter: wait.wholeSecondsUp)
        case .overloaded:
            .overloaded("Too many questions are waiting for the language model, try again shortly")
        }
    }
}
