import Foundation

/// Turns text into search tokens. Hangul runs become overlapping two-syllable tokens, so a one- or
/// two-syllable keyword matches inside longer words and before particles (`번역` in `번역을`);
/// other runs of letters and digits stay whole words. Changing what `documentTokens` produces
/// means raising `version`: `SearchReindexer` then rewrites every post's tokens in the background.
/// What a keyword asks for (`keywordTerms`) reads the same tokens and needs no re-index.
enum SearchTokenizer {
    static let version: Int16 = 1

    /// Tokens past this many in one field are not indexed (Postgres keeps positions up to 16,383).
    static let maxTokensPerField = 8000
    static let maxWordScalars = 64
    /// A Latin word being typed is a prefix from this many letters or digits: one would ask the
    /// index for every word starting with `s`, and a one-letter word is usually meant whole (`c`).
    static let minPrefixScalars = 2

    /// One thing a keyword looks for: a token, or any token it starts (`redi` of `redis`).
    struct Term: Sendable, Equatable {
        var token: String
        var isPrefix: Bool
    }

    /// The tokens stored for a document. A run also yields its last syllable alone, so every
    /// syllable starts some token and a one-syllable keyword is a prefix search.
    static func documentTokens(_ text: String) -> [String] {
        tokens(text, trailingSyllable: true).tokens
    }

    /// The tokens a keyword looks for, each once.
    static func keywordTokens(_ keyword: String, lastWordComplete: Bool = false) -> [String] {
        keywordTerms(keyword, lastWordComplete: lastWordComplete).map(\.token)
    }

    /// What a keyword looks for: every term must be present. A lone syllable is a prefix (every
    /// syllable of a document starts a token), and so is the last word while it is being typed:
    /// Latin letters or digits, at least `minPrefixScalars`, at the very end of the keyword, and
    /// not `lastWordComplete` (the caller saw a space after it). `redi` finds `redis`; `redis ` and
    /// `redis.` only `redis`; a Hangul last word keeps its bigrams, which already match inside words.
    static func keywordTerms(_ keyword: String, lastWordComplete: Bool = false) -> [Term] {
        let (asked, endsInWord) = tokens(keyword, trailingSyllable: false)
        var terms: [Term] = []
        var seen = Set<String>()
        for (i, token) in asked.enumerated() {
            let scalars = token.unicodeScalars
            let typed = i == asked.count - 1 && endsInWord && !lastWordComplete
                && scalars.count >= minPrefixScalars && scalars.allSatisfy(isLatinLetterOrDigit)
            let lone = scalars.count == 1 && isHangulSyllable(scalars.first!)
            // A word asked whole elsewhere in the keyword already covers its prefix.
            guard seen.insert(token).inserted else { continue }
            terms.append(Term(token: token, isPrefix: typed || lone))
        }
        return terms
    }

    /// The document's `tsvector` literal, title weighted A and body B.
    static func vector(title: String, body: String) -> String {
        var out = ""
        out.reserveCapacity((title.utf8.count + body.utf8.count) * 3)
        var position = 0
        for (text, weight) in [(title, "A"), (body, "B")] {
            for token in documentTokens(text).prefix(maxTokensPerField) {
                position += 1
                if !out.isEmpty { out += " " }
                out += quoted(token) + ":\(min(position, 16_383))\(weight)"
            }
        }
        return out
    }

    /// The keyword's `tsquery` literal (AND of its terms, prefixes as `:*`), or nil when it has
    /// nothing to look for (only punctuation). The GIN index answers prefixes as it answers words.
    static func query(_ keyword: String, lastWordComplete: Bool = false) -> String? {
        query(keywordTerms(keyword, lastWordComplete: lastWordComplete))
    }

    static func query(_ terms: [Term]) -> String? {
        guard !terms.isEmpty else { return nil }
        return terms.map { quoted($0.token) + ($0.isPrefix ? ":*" : "") }.joined(separator: " & ")
    }

    /// For ranking a keyword that ends in a word being typed: the same terms with that word whole,
    /// so a post holding the word itself (`go`) ranks above one holding only longer words (`good`).
    /// Nil when there is no such word (then the match query ranks alone, as it always did).
    static func wholeWordQuery(_ terms: [Term]) -> String? {
        guard let last = terms.last, last.isPrefix, last.token.unicodeScalars.count >= minPrefixScalars else { return nil }
        return query(Array(terms.dropLast()) + [Term(token: last.token, isPrefix: false)])
    }

    /// NFKC and lower case. Most text is ASCII and Hangul syllables, which NFKC leaves alone, so
    /// that common case skips Foundation's normalisation (the tokenizer's main cost otherwise).
    static func normalized(_ text: String) -> String {
        let plain = text.utf8.allSatisfy { $0 < 0x80 }
            || text.unicodeScalars.allSatisfy { $0.value < 0x80 || (0xAC00...0xD7A3).contains($0.value) }
        return (plain ? text : text.precomposedStringWithCompatibilityMapping).lowercased()
    }

    /// The text's tokens, and whether its last token is a word (not Hangul) that ends the text.
    private static func tokens(_ text: String, trailingSyllable: Bool) -> (tokens: [String], endsInWord: Bool) {
        let normalized = normalized(text)
        var tokens: [String] = []
        var endsInWord = false
        var hangul: [Unicode.Scalar] = []
        var word = String.UnicodeScalarView()

        func flushHangul() {
            guard !hangul.isEmpty else { return }
            if hangul.count == 1 {
                tokens.append(String(hangul[0]))
            } else {
                for i in 0..<(hangul.count - 1) {
                    var pair = String.UnicodeScalarView()
                    pair.append(hangul[i])
                    pair.append(hangul[i + 1])
                    tokens.append(String(pair))
                }
                if trailingSyllable { tokens.append(String(hangul[hangul.count - 1])) }
            }
            hangul.removeAll(keepingCapacity: true)
        }
        func flushWord() {
            guard !word.isEmpty else { return }
            // Longer runs are not words anyone searches for, and Postgres refuses lexemes over 2 KB.
            if word.count <= maxWordScalars { tokens.append(String(word)) }
            word = .init()
        }

        for scalar in normalized.unicodeScalars {
            if isHangulSyllable(scalar) {
                flushWord()
                hangul.append(scalar)
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                flushHangul()
                word.append(scalar)
            } else {
                flushHangul()
                flushWord()
            }
        }
        flushHangul()
        if !word.isEmpty && word.count <= maxWordScalars { endsInWord = true }
        flushWord()
        return (tokens, endsInWord)
    }

    private static func isHangulSyllable(_ scalar: Unicode.Scalar) -> Bool {
        (0xAC00...0xD7A3).contains(scalar.value)
    }

    /// ASCII letters and digits, and the Latin letters with marks (Latin-1 Supplement, Extended-A
    /// and -B, Extended Additional): `café`, `đà`. Tokens hold only letters and digits already, so
    /// the ranges alone decide; other scripts' words stay whole, as before.
    private static func isLatinLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F, 0x1E00...0x1EFF: true
        default: false
        }
    }

    /// Tokens hold only letters and digits, but a quote or backslash would end the literal early.
    private static func quoted(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\\") }) else { return "'" + token + "'" }
        return "'" + token.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }
}
