/// The looser form of a question the lexical layer keys on: filler words and Korean particles
/// dropped, so "What is the capital of France?" and "capital of France, please" meet. Word order
/// always stays, because it says who does what: "Can I sue my landlord?" is not "Can my landlord
/// sue me?", nor "Did Brutus kill Caesar?" "Did Caesar kill Brutus?". Numbers, operators and
/// negations always stay.
struct LexicalForm: Sendable, Equatable {
    /// A content word: its stem, and the Korean particle that gave it a role, if any.
    struct Word: Sendable, Equatable {
        var stem: String
        /// The role a Korean particle marked (`가` subject, `는` topic, `를` object, `의`
        /// possessive, `에게` recipient, `에서` source, ...), in one spelling per role; nil for a
        /// bare word.
        var role: String?
    }

    /// The content words in the order asked.
    let words: [Word]
    /// The persons its English pronouns name (1: I, 2: you, 3: we): the guard lets two questions
    /// meet only when these agree or one names nobody, so "Can I introduce myself?" never
    /// answers "Can you introduce yourself?".
    let persons: Set<Int>

    init(_ question: NormalizedQuestion) {
        // A question that speaks of one person only ("How do I reset my password?") keys the
        // same without its pronouns; one that names two ("Did you call me?") keeps them.
        persons = Set(question.tokens.compactMap { Self.pronounPerson[$0] })
        let dropPronouns = persons.count <= 1
        words = question.tokens.compactMap { token in
            if Self.pronounPerson[token] != nil { return dropPronouns ? nil : Word(stem: token) }
            return Self.contentWord(token)
        }
    }

    /// The key text, or nil when nothing is left to key on. Roles are left out so that a dropped
    /// object particle (`번역 도와줘`) still meets `번역을 도와줘`; the guard compares them.
    var text: String? { words.isEmpty ? nil : words.map(\.stem).joined(separator: " ") }

    /// The word with its particle removed and its role noted, or nil for a filler.
    static func contentWord(_ token: String) -> Word? {
        if englishFillers.contains(token) || koreanFillers.contains(token) { return nil }
        guard token.unicodeScalars.first.map(isHangul) == true else { return Word(stem: token) }
        return strippingParticle(token)
    }

    static func isHangul(_ scalar: Unicode.Scalar) -> Bool {
        (0xAC00...0xD7A3).contains(scalar.value)
    }

    /// `서울의` → `서울`, `번역을` → `번역` (object). A particle comes off only when two
    /// syllables stay, so a short word is never cut into another one.
    static func strippingParticle(_ word: String) -> Word {
        if nounsLookingInflected.contains(word) { return Word(stem: word) }
        let syllables = word.unicodeScalars.count
        for (particle, role) in koreanParticles where syllables >= particle.unicodeScalars.count + 2 && word.hasSuffix(particle) {
            return Word(stem: String(word.unicodeScalars.dropLast(particle.unicodeScalars.count)), role: role)
        }
        return Word(stem: word)
    }

    /// English pronouns by the person they name: which of them a question holds decides
    /// whether they can go.
    static let pronounPerson: [String: Int] = [
        "i": 1, "me": 1, "my": 1, "mine": 1, "myself": 1,
        "you": 2, "your": 2, "yours": 2, "yourself": 2, "yourselves": 2,
        "we": 3, "us": 3, "our": 3, "ours": 3, "ourselves": 3,
    ]

    /// Words that frame a question without changing it. Deliberately short: wh-words other than
    /// "what" (who, why, when, where, which, how) change the question and stay.
    static let englishFillers: Set<String> = [
        "what", "whats", "is", "are", "was", "were", "the", "a", "an", "of", "to", "please", "tell",
        "can", "could", "would", "will", "do", "does", "did", "about", "for", "in", "on",
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

    /// Particles, longest first (so `에서는` goes before `는`), with the role each marks in one
    /// spelling (`을`/`를` are one role, chosen by the stem's last sound). The copulas mark none.
    static let koreanParticles: [(String, String?)] = [
        ("에서는", "에서"), ("으로는", "으로"), ("이에요", nil), ("입니다", nil), ("인가요", nil),
        ("에서", "에서"), ("으로", "으로"), ("이란", nil), ("이야", nil), ("인가", nil), ("예요", nil), ("이랑", "와"),
        ("에게", "에게"), ("한테", "에게"), ("까지", "까지"), ("부터", "부터"), ("께서", "가"),
        ("은", "는"), ("는", "는"), ("이", "가"), ("가", "가"), ("을", "를"), ("를", "를"), ("에", "에"), ("의", "의"), ("도", "도"),
        ("로", "으로"), ("와", "와"), ("과", "와"), ("란", nil), ("랑", "와"), ("야", nil),
    ]
}
