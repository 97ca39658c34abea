import Foundation
import Testing
@testable import GPTService

/// Normalisation, the lexical form and the guard, without Redis: the rules every cache layer
/// stands on.
@Suite struct QuestionFormTests {
    func text(_ question: String) -> String { NormalizedQuestion(question).text }
    func lexical(_ question: String) -> String? { LexicalForm(NormalizedQuestion(question)).text }

    @Test(arguments: [
        ("What is the capital of France?", "what is the capital of france"),
        ("  what   IS the capital of\tFrance ?!  ", "what is the capital of france"),
        ("ＷＨＡＴ ＩＳ ＡＩ？", "what is ai"),  // full-width forms (NFKC)
        ("Isn't it safe?", "isnt it safe"),
        ("e-mail address", "email address"),
        ("2+2", "2 + 2"),
        ("2 + 2 = ?", "2 + 2 ="),
        ("3.14 × 2", "3.14 × 2"),
        ("1,000 won", "1000 won"),
        ("서울 날씨 알려줘!!", "서울 날씨 알려줘"),
        ("  검색엔진을   추천해 주세요 ", "검색엔진을 추천해 주세요"),
        ("ﬁle", "file"),  // a ligature
    ])
    func normalises(_ question: String, _ expected: String) {
        #expect(text(question) == expected)
    }

    @Test func keepsOperatorsThatChangeTheQuestion() {
        #expect(text("2+2") != text("2-2"))
        #expect(text("2*3") != text("2/3"))
        #expect(text("3-1") == "3 - 1")
    }

    @Test func theASCIIShortcutAgreesWithTheUnicodeTables() throws {
        for value in 0..<128 {
            let scalar = try #require(Unicode.Scalar(value))
            #expect(NormalizedQuestion.isWordScalar(scalar) == (scalar.properties.isAlphabetic || scalar.properties.numericType != nil), "\(value)")
            #expect(NormalizedQuestion.isDigit(scalar) == (scalar.properties.numericType != nil), "\(value)")
            #expect(scalar.properties.generalCategory != .nonspacingMark)
        }
        // And NFKC leaves ASCII alone, which the shortcut past Foundation relies on.
        let ascii = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        #expect(ascii.precomposedStringWithCompatibilityMapping == ascii)
    }

    @Test func vagueQuestionsHaveNoSubstance() {
        #expect(NormalizedQuestion("?").substance == 0)
        #expect(NormalizedQuestion("ㅋ").substance == 1)
        #expect(NormalizedQuestion("2+2").substance == 2)
    }

    @Test(arguments: [
        ("What is the capital of France?", "capital of France, please"),
        ("Tell me the capital of France", "capital of France?"),
        ("번역을 도와줘", "번역 도와줘"),
        ("서울 날씨 알려줘", "서울의 날씨는?"),
        ("서울 날씨 어때요", "서울 날씨 알려주세요"),
        ("번역을 도와줘", "번역 도와줘"),
        ("How do I reset my password?", "how to reset password"),
    ])
    func paraphrasesShareALexicalForm(_ a: String, _ b: String) {
        #expect(lexical(a) != nil)
        #expect(lexical(a) == lexical(b))
    }

    @Test(arguments: [
        ("2+2", "2+3"),
        ("서울 날씨", "부산 날씨"),
        ("is aspirin safe", "is aspirin not safe"),
        ("capital of France", "capital of Germany"),
        ("why is the sky blue", "how is the sky blue"),
        ("비가 와", "비가 안 와"),
        ("10 dollars in won", "100 dollars in won"),
        ("Can I sue my landlord?", "Can my landlord sue me?"),
        ("Did Brutus kill Caesar?", "Did Caesar kill Brutus?"),
        ("Did you call me?", "Did I call you?"),
        ("철수가 영희를 때렸어?", "영희가 철수를 때렸어?"),
    ])
    func nearMissesDoNotShareALexicalForm(_ a: String, _ b: String) {
        #expect(lexical(a) != lexical(b))
    }

    @Test func shortParticleWordsAreNotCut() {
        // One syllable would remain: the word stays whole rather than become another word.
        #expect(LexicalForm.strippingParticle("물이") == .init(stem: "물이"))
        #expect(LexicalForm.strippingParticle("서울의") == .init(stem: "서울", role: "의"))
        #expect(LexicalForm.strippingParticle("검색엔진을") == .init(stem: "검색엔진", role: "를"))
        #expect(LexicalForm.strippingParticle("학교에서는") == .init(stem: "학교", role: "에서"))
        #expect(LexicalForm.strippingParticle("고양이") == .init(stem: "고양이"))
    }

    @Test func wordOrderAlwaysStays() {
        let long = "first second third fourth fifth sixth seventh eighth ninth"
        #expect(lexical(long) == long)
        #expect(lexical("beta alpha") == "beta alpha")
    }

    @Test func pronounsGoOnlyWhenTheyNameOnePerson() {
        #expect(lexical("How do I reset my password?") == "how reset password")
        #expect(lexical("Did you call me?") == "you call me")
    }

    // MARK: The guard

    func allows(_ cached: String, _ asked: String) -> Bool {
        QuestionGuard.allows(cached: NormalizedQuestion(cached), for: NormalizedQuestion(asked))
    }

    @Test(arguments: [
        ("What is the capital of France?", "what is the capitol of france"),  // a typo
        ("how to sort a list in python", "how to sorting a list in python"),
        ("파이썬 리스트 정렬", "파이썬 리스트 정렬하는 방법"),
        ("What is the capital of France?", "capital of france"),
        ("번역을 도와줘", "번역 도와줘"),
        ("서울 날씨 알려줘", "서울의 날씨는 어때?"),
        ("population of Sweden", "population of Sweeden"),
        ("wavelenght of red light", "wavelength of red light"),
        ("Is coffee bad for your health?", "is coffee bad for health"),
        ("원숭이가 좋아하는 과일", "원숭이 좋아하는 과일"),
        ("How do I reset my password?", "how to reset password"),
    ])
    func guardAllowsVariantsOfOneQuestion(_ cached: String, _ asked: String) {
        #expect(allows(cached, asked))
    }

    @Test(arguments: [
        ("2+2", "2+3"),
        ("2+2", "2-2"),
        ("서울 날씨", "부산 날씨"),
        ("서울 날씨", "서울대 날씨"),
        ("is aspirin safe", "is aspirin not safe"),
        ("Is it safe to drink tap water?", "Isn't it safe to drink tap water?"),
        ("capital of France", "capital of Germany"),
        ("what is capital", "what is capitalism"),
        ("비가 와", "비가 안 와"),
        ("약을 먹어도 돼", "약을 먹으면 안 돼"),
        ("python list sort", "python list sort descending"),
        ("10 dollars in won", "100 dollars in won"),
        ("are cats mammals", "are bats mammals"),
        ("Convert 100 US dollars to Korean won", "Convert 100 Korean won to US dollars"),
        ("Is a kilogram heavier than a pound?", "Is a pound heavier than a kilogram?"),
        ("인천공항에서 강남 가는 버스", "강남에서 인천공항 가는 버스"),
        ("고양 분양 정보", "고양이 분양 정보"),
        ("oil price in Iran", "oil price in Iraq"),
        ("who wrote Hamlet", "who wrote Macbeth"),
        // Who does what to whom: the same words in another order or role.
        ("Can I sue my landlord?", "Can my landlord sue me?"),
        ("Did Brutus kill Caesar?", "Did Caesar kill Brutus?"),
        ("Did you call me?", "Did I call you?"),
        ("Does the dog chase the cat?", "Does the cat chase the dog?"),
        ("철수가 영희를 때렸어?", "영희가 철수를 때렸어?"),
        ("영희를 철수가 때렸어?", "영희가 철수를 때렸어?"),
        ("철수가 영희에게 선물을 줬어", "영희가 철수에게 선물을 줬어"),
        ("영희에게 철수가 선물을 줬어", "영희가 철수에게 선물을 줬어"),
        ("집주인이 나를 고소할 수 있나요?", "내가 집주인을 고소할 수 있나요?"),
        ("서울에서 부산까지 거리", "부산에서 서울까지 거리"),
        ("Can you introduce yourself?", "Can I introduce myself?"),
        ("Who are you?", "Who are we?"),
        ("How do I reset my password?", "How do you reset your password?"),
        ("철수가 영희를 때렸어?", "철수는 영희가 때렸어?"),
        ("철수는 선생님을 좋아해?", "철수의 선생님을 좋아해?"),
        ("영희를 철수가 때렸어?", "영희 철수 때렸어?"),
    ])
    func guardRefusesADifferentQuestion(_ cached: String, _ asked: String) {
        #expect(!allows(cached, asked))
        #expect(!allows(asked, cached))
    }

    @Test(arguments: [
        ("capital", "capitol", true), ("ligth", "light", true), ("sweeden", "sweden", true), ("sweden", "swedenn", true),
        ("france", "germany", false), ("abcdef", "badcef", false), ("abc", "abcde", false), ("same", "same", true),
    ])
    func withinOneEdit(_ a: String, _ b: String, _ expected: Bool) {
        #expect(QuestionGuard.withinOneEdit(Array(a.unicodeScalars), Array(b.unicodeScalars)) == expected)
        #expect(QuestionGuard.withinOneEdit(Array(b.unicodeScalars), Array(a.unicodeScalars)) == expected)
    }

    /// The guard's work grows with the question's length, not its square: two 2,000-character
    /// questions of long words that differ only at the end cost a few passes over them. Asserted
    /// by what is compared (long words are compared exactly), not by a clock.
    @Test func longWordsAreComparedExactly() {
        let word = String(repeating: "a", count: 1000)
        #expect(!QuestionGuard.isVariant(word + "b", word + "c"))
        #expect(!QuestionGuard.isVariant(word, word + "s"))
        #expect(QuestionGuard.isVariant("sorting", "sort"))
        let a = NormalizedQuestion(word + "x " + word + "y"), b = NormalizedQuestion(word + "x " + word + "z")
        #expect(!QuestionGuard.allows(cached: a, for: b))
    }

    /// The evaluation set's near misses (loadtest/semantic_pairs.json, role reversals included)
    /// are never allowed to answer each other, whatever layer finds them; its paraphrases mostly are.
    @Test func theEvaluationSetsNearMissesAreNeverAllowed() throws {
        struct Pair: Decodable { var kind: String; var a: String; var b: String }
        struct Pairs: Decodable { var paraphrases: [Pair]; var near_misses: [Pair] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../loadtest/semantic_pairs.json")
        let pairs = try JSONDecoder().decode(Pairs.self, from: Data(contentsOf: url))
        for pair in pairs.near_misses {
            #expect(!allows(pair.a, pair.b) && !allows(pair.b, pair.a), "\(pair.kind): \(pair.a) | \(pair.b)")
        }
        let allowed = pairs.paraphrases.filter { allows($0.a, $0.b) }.count
        #expect(allowed * 2 > pairs.paraphrases.count, "\(allowed) of \(pairs.paraphrases.count) paraphrases")
    }

    // MARK: Keys

    func keys(_ text: String, model: String = "m") -> CacheKeys {
        CacheKeys(question: NormalizedQuestion(text), upstream: text, model: model, namespace: "gpt")
    }

    @Test func keysHoldVersionModelAndDigest() {
        let text = String(repeating: "very long question ", count: 100)
        let keys = keys(text, model: "gpt-4o-mini")
        #expect(keys.answer.hasPrefix("gpt:v\(NormalizedQuestion.version):gpt-4o-mini:answer:"))
        #expect(keys.answer.count < 120)
        #expect(!keys.answer.contains("question"))
        let otherModel = self.keys(text, model: "gpt-4.1")
        #expect(otherModel.answer != keys.answer && otherModel.digest == keys.digest)
        #expect(self.keys("Capital of FRANCE?").answer == self.keys("capital of france").answer)
    }

    /// What the key would leave out beyond case, white space and a few marks of punctuation makes
    /// the question its own: keyed by its exact text, with no lexical key.
    @Test(arguments: ["Is 3 ≤ 5?", "Is 3 ≥ 5?", "capital of Spain 🇷🇪🇵🇱🇾", "capital of Spain 🙂", "capital of Spain .. .. .. .. ..", "a → b"])
    func questionsTheKeyCannotCoverAreKeyedByTheirText(_ text: String) {
        #expect(!NormalizedQuestion(text).isShareable)
        #expect(keys(text).digest != CacheKeys(question: NormalizedQuestion(text), upstream: text + " ", model: "m", namespace: "gpt").digest)
        #expect(keys(text).lexical == nil)
    }

    @Test(arguments: ["What is the capital of France?", "“Quoted” question, isn't it?", "서울 날씨 알려줘!!", "(a) or [b]?", "２＋２？"])
    func ordinaryQuestionsShare(_ text: String) {
        #expect(NormalizedQuestion(text).isShareable)
    }

    @Test func cacheability() {
        let rule = Cacheability(minimumAnswerCharacters: 2)
        let question = NormalizedQuestion("what is 2+2")
        #expect(rule.verdict(question: question, answer: "4.", finishReason: "stop") == .cacheable)
        #expect(rule.verdict(question: question, answer: "  ", finishReason: "stop") == .empty)
        #expect(rule.verdict(question: question, answer: "4", finishReason: "stop") == .tooShort)
        #expect(rule.verdict(question: question, answer: "The answer is", finishReason: "length") == .cutOff)
        #expect(rule.verdict(question: question, answer: "The answer is", finishReason: nil) == .cutOff)
        #expect(rule.verdict(question: NormalizedQuestion("?!"), answer: "What do you mean?", finishReason: "stop") == .vagueQuestion)
    }
}
