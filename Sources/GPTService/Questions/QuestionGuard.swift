/// Decides whether a cached question may answer a new one. Every layer asks it, so a looser
/// layer can find a candidate but never hand out the answer to a different question.
///
/// They must agree on their numbers and operators (`2+2` is not `2+3`), on negation (`is X safe`
/// is not `is X not safe`), and on every content word, except that a word may differ by one typo
/// (`capitol`/`capital`) or by an ending (`정렬하는`/`정렬`, `sort`/`sorting`). So `서울 날씨` never
/// answers `부산 날씨`, however close their embeddings are. When a question says which way
/// something goes (`to`, `than`, `에서`), its words must also come in the same order.
enum QuestionGuard {
    static func allows(cached: NormalizedQuestion, for asked: NormalizedQuestion) -> Bool {
        if cached == asked { return true }
        guard symbols(of: cached) == symbols(of: asked), negations(in: cached) == negations(in: asked) else { return false }
        let cachedForm = LexicalForm(cached), askedForm = LexicalForm(asked)
        if cachedForm.hasDirection || askedForm.hasDirection {
            // Which way it goes is in the order: word by word, in the order asked.
            guard cachedForm.ordered.count == askedForm.ordered.count else { return false }
            return zip(cachedForm.ordered, askedForm.ordered).allSatisfy { $0 == $1 || isVariant($0, $1) }
        }
        let a = Set(cachedForm.words.filter { !isSymbol($0) })
        let b = Set(askedForm.words.filter { !isSymbol($0) })
        let onlyA = a.subtracting(b), onlyB = b.subtracting(a)
        return onlyA.allSatisfy { word in onlyB.contains { isVariant(word, $0) } }
            && onlyB.allSatisfy { word in onlyA.contains { isVariant(word, $0) } }
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

    /// One typo apart (see below), or the same stem with an inflection
    /// from a short list (`sort`/`sorting`, `정렬`/`정렬하는`); never a longer word that merely
    /// starts with the other (`capital`/`capitalism`, `서울`/`서울대`).
    static func isVariant(_ a: String, _ b: String) -> Bool {
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        let hangul = short.unicodeScalars.first.map(LexicalForm.isHangul) ?? false
        if long.hasPrefix(short), short.count >= (hangul ? 2 : 3) {
            let ending = String(long.dropFirst(short.count))
            return (hangul ? koreanEndings : englishEndings).contains(ending)
        }
        // A typo: one letter wrong in a long word, or one missing or doubled in a word of five or
        // more, never in the first letter. Short words one letter apart are other words
        // (`Iran`/`Iraq`, `cats`/`bats`).
        guard !hangul, a.first == b.first, long.count - short.count <= 1,
              short.count >= (long.count == short.count ? 6 : 5) else { return false }
        return editDistance(Array(a), Array(b), atMost: 1) <= 1
    }

    static let englishEndings: Set<String> = ["s", "es", "ed", "d", "ing", "er", "ers"]
    static let koreanEndings: Set<String> = [
        "하", "되", "시키", "하는", "하기", "하다", "하면", "하려면", "해요", "해", "한", "할", "된", "되는", "되다", "하는법", "시키는", "시키기",
    ]

    /// Edit distance where swapping two neighbouring letters is one edit (`ligth`), giving up
    /// past `limit`.
    static func editDistance(_ a: [Character], _ b: [Character], atMost limit: Int) -> Int {
        var beforePrevious = [Int](), previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
                if i > 0, j > 0, ca == b[j - 1], a[i - 1] == cb, ca != cb {
                    current[j + 1] = min(current[j + 1], beforePrevious[j - 1] + 1)
                }
            }
            if current.min()! > limit { return limit + 1 }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }
}
