import Foundation

/// A question reduced to what decides its answer, in the form the cache keys are made of.
///
/// `tokens` come from NFKC (full-width letters, ligatures and compatibility characters become
/// their plain forms), case folding, and splitting on punctuation and white space. Letters and
/// digits are kept, and so are the symbols that change what is asked (`2+2` is not `2-2`).
struct NormalizedQuestion: Sendable, Equatable {
    /// Bumped whenever the rules below change: it is part of every cache key, so answers keyed
    /// by an older rule are simply never found again and expire.
    static let version = 2

    let tokens: [String]
    /// Characters the tokens leave out that are neither white space nor ordinary punctuation:
    /// what the upstream would read and no key would cover.
    let uncovered: Int
    /// Ordinary punctuation left out (`?`, `,`, quotes).
    let punctuation: Int

    /// At most this much punctuation may go unkeyed: a few marks end a sentence, many could
    /// spell a message (Morse code is dots and dashes).
    static let maxUnkeyedPunctuation = 8

    /// Whether the question may share an answer with another of the same key: everything the
    /// upstream reads is in the key but case, white space and a little ordinary punctuation. A
    /// question with an emoji, a symbol such as `≤` or a flag in it is answered for itself alone,
    /// since the key cannot tell it from the same words without them.
    var isShareable: Bool { uncovered == 0 && punctuation <= Self.maxUnkeyedPunctuation }

    /// The tokens joined by single spaces: what the exact layer hashes.
    var text: String { tokens.joined(separator: " ") }

    /// Letters and digits in all tokens: a question with fewer than two is too vague to share an
    /// answer (`?`, `ㅋ`) and is never cached.
    var substance: Int { tokens.reduce(0) { $0 + $1.unicodeScalars.filter(Self.isWordScalar).count } }

    init(_ question: String) {
        // NFKC leaves ASCII as it is; Foundation's pass is skipped for the many questions in it.
        (tokens, uncovered, punctuation) = Self.tokenize(
            question.utf8.allSatisfy { $0 < 0x80 } ? question : question.precomposedStringWithCompatibilityMapping)
    }

    init(tokens: [String]) {
        self.tokens = tokens
        uncovered = 0
        punctuation = 0
    }

    /// Punctuation that frames a sentence, typographic forms included (smart quotes, CJK marks).
    static let ordinaryPunctuation: Set<Unicode.Scalar> = [
        "?", "!", ".", ",", ";", ":", "'", "\"", "(", ")", "[", "]", "{", "}", "`",
        "\u{201C}", "\u{201D}", "\u{2018}", "\u{2019}", "\u{2026}", "\u{00B7}", "\u{2013}", "\u{2014}", "\u{00BF}", "\u{00A1}",
        "\u{00AB}", "\u{00BB}", "\u{3001}", "\u{3002}", "\u{300C}", "\u{300D}", "\u{300E}", "\u{300F}",
    ]

    static let operators: Set<Unicode.Scalar> = ["+", "-", "*", "/", "=", "<", ">", "%", "^", "×", "÷", "√"]

    /// A letter or a digit. ASCII is decided without the Unicode property tables, which are a
    /// lookup per call and the tokenizer asks about every scalar and its neighbours.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let folded = scalar.value | 0x20
            return isDigit(scalar) || (folded >= 0x61 && folded <= 0x7A)
        }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// A scalar with a numeric value: in ASCII, 0 to 9.
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? (0x30...0x39).contains(scalar.value) : scalar.properties.numericType != nil
    }

    private static func tokenize(_ text: String) -> (tokens: [String], uncovered: Int, punctuation: Int) {
        let scalars = Array(text.unicodeScalars)
        var tokens: [String] = []
        var uncovered = 0, punctuation = 0
        var word = String.UnicodeScalarView()
        func flush() {
            if !word.isEmpty { tokens.append(String(word).lowercased()) }
            word = String.UnicodeScalarView()
        }
        for (index, scalar) in scalars.enumerated() {
            let previous = index > 0 ? scalars[index - 1] : nil
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            let digitBefore = previous.map(isDigit) ?? false && !word.isEmpty
            let digitAfter = next.map(isDigit) ?? false
            let letterBefore = previous.map(isWordScalar) ?? false && !word.isEmpty
            let letterAfter = next.map(isWordScalar) ?? false
            if isWordScalar(scalar) || (!scalar.isASCII && scalar.properties.generalCategory == .nonspacingMark) {
                word.append(scalar)
            } else if scalar == ".", digitBefore, digitAfter {
                word.append(scalar)  // 3.14
            } else if scalar == ",", digitBefore, digitAfter {
                continue  // 1,000 is 1000
            } else if scalar == "'" || scalar == "’", letterBefore, letterAfter {
                continue  // isn't, what's: one word
            } else if scalar == "-", letterBefore, letterAfter, !(previous.map(isDigit) ?? false) {
                continue  // e-mail is email; 3-1 stays a subtraction
            } else if operators.contains(scalar) {
                flush()
                tokens.append(String(scalar))
            } else {
                flush()
                if ordinaryPunctuation.contains(scalar) {
                    punctuation += 1
                } else if !scalar.properties.isWhitespace {
                    uncovered += 1
                }
            }
        }
        flush()
        return (tokens, uncovered, punctuation)
    }
}
