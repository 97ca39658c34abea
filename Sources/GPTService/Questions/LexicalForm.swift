/// The looser form of a question the lexical layer keys on: filler words and Korean particles
/// dropped, and for a short question the word order ignored, so "What is the capital of France?"
/// and "france capital, please" meet. Numbers, operators and negations always stay.
struct LexicalForm: Sendable, Equatable {
    /// Questions of at most this many content words are keyed as a set of words.
    static let orderFreeLimit = 8

    let words: [String]
    /// The content words in the order asked: what the guard compares when order matters.
    let ordered: [String]
    /// Whether the question says which way something goes (`to`, `from`, `than`, `에서`, `보다`),
    /// so its word order carries meaning: `100 dollars to won` is not `100 won to dollars`.
    let hasDirection: Bool

    init(_ question: NormalizedQuestion) {
        ordered = question.tokens.compactMap(Self.contentWord)
        words = ordered.count <= Self.orderFreeLimit ? ordered.sorted() : ordered
        hasDirection = question.tokens.contains(where: Self.marksDirection)
    }

    static func marksDirection(_ token: String) -> Bool {
        if englishDirections.contains(token) { return true }
        guard token.unicodeScalars.first.map(isHangul) == true else { return false }
        return koreanDirections.contains { token.count > $0.count && token.hasSuffix($0) }
    }

    static let englishDirections: Set<String> = ["to", "from", "than", "into", "vs", "versus", "per", "onto", "toward", "towards"]
    static let koreanDirections = ["에서", "으로", "로", "까지", "부터", "보다", "에게", "한테"]

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
        if nounsLookingInflected.contains(word) { return word }
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
        "can", "could", "would", "will", "you", "your", "do", "does", "did", "i", "my", "about", "for", "in", "on",
        "at", "it", "its", "that", "this", "be", "explain", "describe", "give", "some", "there", "hey", "hi",
        "know", "want", "need", "question", "pls", "plz",
    ]

    static let koreanFillers: Set<String> = [
        "알려줘", "알려주세요", "알려줄래", "알려줄래요", "뭐야", "뭔가요", "뭐예요", "무엇인가요", "무엇", "뭐", "좀", "제발",
        "설명해줘", "설명해주세요", "궁금해", "궁금해요", "궁금합니다", "어때", "어때요", "어떤가요", "말해줘", "가르쳐줘",
        "해줘", "주세요", "요", "혹시", "그럼", "방법",
    ]

    /// Common nouns whose last syllable is also a particle: `고양이` (cat) must not become `고양`
    /// (the city), nor `원숭이` `원숭`.
    static let nounsLookingInflected: Set<String> = [
        "고양이", "원숭이", "어린이", "거북이", "호랑이", "개구리", "너구리", "올챙이", "달팽이", "지팡이", "손잡이", "목걸이",
        "예술가", "전문가", "소설가", "건축가", "작곡가", "음악가", "정치가", "사업가",
        "정확도", "만족도", "인지도", "해상도", "경사도", "고속도로", "활주로", "민주주의", "자본주의", "소아과", "정형외과", "백과",
    ]

    /// Longest first, so `에서는` goes before `는`.
    static let koreanParticles: [String] = [
        "에서는", "으로는", "이에요", "입니다", "인가요", "에서", "으로", "이란", "이야", "인가", "예요", "이랑", "에게", "한테", "까지", "부터",
        "은", "는", "이", "가", "을", "를", "에", "의", "도", "로", "와", "과", "란", "랑", "야",
    ]
}
