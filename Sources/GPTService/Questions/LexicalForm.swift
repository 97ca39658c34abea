/// The looser form of a question the lexical layer keys on: filler words and Korean particles
/// dropped, and for a short question the word order ignored, so "What is the capital of France?"
/// and "france capital, please" meet. Numbers, operators and negations always stay.
struct LexicalForm: Sendable, Equatable {
    /// Questions of at most this many content words are keyed as a set of words.
    static let orderFreeLimit = 8

    let words: [String]

    init(_ question: NormalizedQuestion) {
        let content = question.tokens.compactMap(Self.contentWord)
        words = content.count <= Self.orderFreeLimit ? content.sorted() : content
    }

    /// The key text, or nil when nothing is left to key on.
    var text: String? { words.isEmpty ? nil : words.joined(separator: " ") }

    /// The word with its particle removed, or nil for a filler.
    static func contentWord(_ token: String) -> String? {
        if englishFillers.contains(token) || koreanFillers.contains(token) { return nil }
        guard token.unicodeScalars.first.map(isHangul) == true else { return token }
        return strippingParticle(token)
    }

    static func isHangul(_ scalar: Unicode.Scalar) -> Bool {
        (0xAC00...0xD7A3).contains(scalar.value)
    }

    /// `서울의` → `서울`, `번역을` → `번역`. A particle comes off only when two syllables stay, so a
    /// short word is never cut into another one.
    static func strippingParticle(_ word: String) -> String {
        let syllables = Array(word)
        for particle in koreanParticles where syllables.count >= particle.count + 2 && word.hasSuffix(particle) {
            return String(syllables.dropLast(particle.count))
        }
        return word
    }

    /// Words that frame a question without changing it. Deliberately short: wh-words other than
    /// "what" (who, why, when, where, which, how) change the question and stay.
    static let englishFillers: Set<String> = [
        "what", "whats", "is", "are", "was", "were", "the", "a", "an", "of", "to", "please", "tell", "me",
        "can", "could", "would", "will", "you", "do", "does", "did", "i", "my", "about", "for", "in", "on",
        "at", "it", "its", "that", "this", "be", "explain", "describe", "give", "some", "there", "hey", "hi",
        "know", "want", "need", "question", "pls", "plz",
    ]

    static let koreanFillers: Set<String> = [
        "알려줘", "알려주세요", "알려줄래", "알려줄래요", "뭐야", "뭔가요", "뭐예요", "무엇인가요", "무엇", "뭐", "좀", "제발",
        "설명해줘", "설명해주세요", "궁금해", "궁금해요", "궁금합니다", "어때", "어때요", "어떤가요", "말해줘", "가르쳐줘",
        "해줘", "주세요", "요", "혹시", "그럼", "방법",
    ]

    /// Longest first, so `에서는` goes before `는`.
    static let koreanParticles: [String] = [
        "에서는", "으로는", "이에요", "입니다", "인가요", "에서", "으로", "이란", "이야", "인가", "예요", "이랑", "에게", "한테", "까지", "부터",
        "은", "는", "이", "가", "을", "를", "에", "의", "도", "로", "와", "과", "란", "랑", "야",
    ]
}
