import Foundation
import Testing
@testable import GPTService

/// The answer body is written by hand; it must read back as the contract's `AnswerBody`.
@Suite struct AnswerJSONTests {
    @Test(arguments: [AnswerSource.exact, .lexical, .semantic, .merged, .upstream])
    func everySourceReadsBack(_ source: AnswerSource) throws {
        let answer = Answer(text: "Plain text.", source: source, model: "stub-model")
        let body = try JSONDecoder().decode(QnAController.AnswerBody.self, from: Data(QnAController.answerJSON(answer)))
        #expect(body == .init(answer: "Plain text.", cached: source.isCached, source: source.rawValue, model: "stub-model"))
    }

    @Test func awkwardTextSurvives() throws {
        let text = "Quotes \" and \\ backslashes,\nnew lines\r\n, tabs\t, a bell \u{07}, \u{1F} and 한국어 답변 🙂 </script>"
        let answer = Answer(text: text, source: .exact, model: "model \"x\"")
        let bytes = QnAController.answerJSON(answer)
        let body = try JSONDecoder().decode(QnAController.AnswerBody.self, from: Data(bytes))
        #expect(body.answer == text && body.model == "model \"x\"")
        // No raw control character reaches the wire.
        #expect(!bytes.contains { $0 < 0x20 })
    }
}
