/// Decides whether a cached question may answer a new one. Every layer asks it, so a looser
/// layer can find a candidate but never hand out the answer to a different question.
///
/// They must agree on their numbers and operators (`2+2` is not `2+3`), on negation (`is X safe`
/// is not `is X not safe`), and word by word, in order, on every content word and the role a
/// Korean particle gives it, except that a word may differ by one typo (`capitol`/`capital`) or
/// by an ending (`정렬하는`/`정렬`, `sort`/`sorting`). So `서울 날씨` never answers `부산 날씨`,
/// nor `철수가 영희를` `영희가 철수를`, however close their embeddings are.
///
/// The work is linear in the question's length: one pass over the words, and a typo check that
/// looks at each letter of a short word at most twice.
enum QuestionGuard {
    static func allows(cached: NormalizedQuestion, for asked: NormalizedQuestion) -> Bool {
        if cached == asked { return true }
        guard symbols(of: cached) == symbols(of: asked), negations(in: cached) == negations(in: asked) else { return false }
        let formA = LexicalForm(cached), formB = LexicalForm(asked)
        guard formA.persons == formB.persons || formA.persons.isEmpty || formB.persons.isEmpty else { return false }
        let a = formA.words, b = formB.words
        guard a.count == b.count, rolesAgree(a, b) else { return false }
        return zip(a, b).allSatisfy { $0.stem == $1.stem || isVariant($0.stem, $1.stem) }
    }

    /// Particles people leave out without changing who does what: possessive, topic, "also".
    static let omissibleRoles: Set<String> = ["의", "는", "도"]

    /// Word by word, the same role; or a bare word where the other has a particle people drop
    /// (`서울 날씨` for `서울의 날씨는`), and at most one bare word where the other marks who does
    /// what (`번역 도와줘` for `번역을 도와줘`). Two different particles never agree: `철수는
    /// 영희가 때렸어` is not `철수가 영희를 때렸어`.
    static func rolesAgree(_ a: [LexicalForm.Word], _ b: [LexicalForm.Word]) -> Bool {
        var droppedArguments = 0
        for (x, y) in zip(a, b) where x.role != y.role {
            guard x.role == nil || y.role == nil, let role = x.role ?? y.role else { return false }
            if !omissibleRoles.contains(role) { droppedArguments += 1 }
        }
        return droppedArguments <= 1
    }

    /// Numbers and operators, in order.
    static func symbols(of question: NormalizedQuestion) -> [String] {
        question.tokens.filter(isSymbol)
    }

    static func isSymbol(_ token: String) -> Bool {
        token.unicodeScalars.contains { $0.properties.numericType != nil || NormalizedQuestion.operators.contains($0) }
    }

    /// How many negations the question holds; only parity would be cleverer than is safe.
    static func negations(in question: NormalizedQuestion) -> Int {
        question.tokens.filter(isNegation).count
    }

    static func isNegation(_ token: String) -> Bool {
        if englishNegations.contains(token) { return true }
        if token == "안" || token == "못" || token.hasPrefix("안") && token.count == 2 { return true }
        return koreanNegationStems.contains { token.contains($0) }
    }

    static let englishNegations: Set<String> = [
        "not", "no", "never", "nor", "without", "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt",
        "cant", "cannot", "wont", "shouldnt", "wouldnt", "couldnt", "havent", "hasnt", "hadnt", "mustnt",
    ]
    static let koreanNegationStems = ["않", "없", "아니", "아닌", "못하", "말아", "마라"]

    /// Words longer than this are compared exactly: no real word is, and the typo check stays
    /// cheap whatever a client sends.
    static let maxVariantScalars = 40

    /// One typo apart (see below), or the same stem with an inflection
    /// from a short list (`sort`/`sorting`, `정렬`/`정렬하는`); never a longer word that merely
    /// starts with the other (`capital`/`capitalism`, `서울`/`서울대`).
    static func isVariant(_ a: String, _ b: String) -> Bool {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        guard a.count <= maxVariantScalars, b.count <= maxVariantScalars else { return false }
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        let hangul = short.first.map(LexicalForm.isHangul) ?? false
        if long.starts(with: short), short.count >= (hangul ? 2 : 3) {
            let ending = String(String.UnicodeScalarView(long[short.count...]))
            return (hangul ? koreanEndings : englishEndings).contains(ending)
        }
        // A typo: one letter wrong in a long word, or one missing or doubled in a word of five or
        // more, never in the first letter. Short words one letter apart are other words
        // (`Iran`/`Iraq`, `cats`/`bats`).
        guard !hangul, a.first == b.first, long.count - short.count <= 1,
              short.count >= (long.count == short.count ? 6 : 5) else { return false }
        return withinOneEdit(a, b)
    }

    static let englishEndings: Set<String> = ["s", "es", "ed", "d", "ing", "er", "ers"]
    static let koreanEndings: Set<String> = [
        "하", "되", "시키", "하는", "하기", "하다", "하면", "하려면", "해요", "해", "한", "할", "된", "되는", "되다", "하는법", "시키는", "시키기",
    ]

    /// At most one edit apart, where swapping two neighbouring letters is one edit (`ligth`):
    /// one pass from each end, so the cost is linear in the words' length.
    static func withinOneEdit(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Bool {
        guard abs(a.count - b.count) <= 1 else { return false }
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        if prefix == a.count, prefix == b.count { return true }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let middleA = a.count - prefix - suffix, middleB = b.count - prefix - suffix
        // What differs is one letter replaced, inserted or deleted...
        if middleA <= 1, middleB <= 1 { return true }
        // ...or two neighbours swapped.
        return middleA == 2 && middleB == 2 && a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix]
    }
}
