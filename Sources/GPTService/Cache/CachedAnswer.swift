import Foundation

/// An answer as the cache keeps it: with the normalised question it answered, so a looser layer
/// can ask the guard before handing it out.
struct CachedAnswer: Codable, Sendable, Equatable {
    var answer: String
    var question: String
    var model: String
    var createdAt: Date
    var promptTokens: Int
    var completionTokens: Int

    var normalizedQuestion: NormalizedQuestion {
        NormalizedQuestion(tokens: question.split(separator: " ").map(String.init))
    }
}

/// Which answers are worth keeping: only complete, substantial answers to questions that say
/// enough to be asked again the same way.
struct Cacheability: Sendable {
    var minimumAnswerCharacters: Int

    enum Verdict: String, Sendable {
        case cacheable
        case vagueQuestion = "vague_question"
        case empty
        case tooShort = "too_short"
        case cutOff = "cut_off"
        /// The question holds what its key does not cover (`NormalizedQuestion.isShareable`).
        case notShareable = "not_shareable"
    }

    func verdict(question: NormalizedQuestion, answer: String, finishReason: String?) -> Verdict {
        if question.substance < 2 { return .vagueQuestion }
        if !question.isShareable { return .notShareable }
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .empty }
        // `length`, `content_filter` or a stream that ended without saying: not a whole answer.
        if finishReason != "stop" { return .cutOff }
        if trimmed.count < minimumAnswerCharacters { return .tooShort }
        return .cacheable
    }
}
