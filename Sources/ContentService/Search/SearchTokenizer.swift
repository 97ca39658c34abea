import Foundation

/// Turns text into search tokens. Hangul runs become overlapping two-syllable tokens, so a one- or
/// two-syllable keyword matches inside longer words and before particles (`번역` in `번역을`);
/// other runs of letters and digits stay whole words. Changing what this produces means raising
/// `version`: `SearchReindexer` then rewrites every post's tokens in the background.
enum SearchTokenizer {
    static let version: Int16 = 1

    /// Tokens past this many in one field are not indexed (Postgres keeps positions up to 16,383).
    static let maxTokensPerField = 8000
    static let maxWordScalars = 64

    /// The tokens stored for a document. A run also yields its last syllable alone, so every
    /// syllable starts some token and a one-syllable keyword is a prefix search.
    static func documentTokens(_ text: String) -> [String] {
        tokens(text, trailingSyllable: true)
    }

    /// What a keyword looks for: every token must be present. A lone syllable is a prefix.
    static func keywordTokens(_ keyword: String) -> [String] {
        var seen = Set<String>()
        return tokens(keyword, trailingSyllable: false).filter { seen.insert($0).inserted }
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

    /// The keyword's `tsquery` literal (AND of its tokens, a lone syllable as a prefix), or nil
    /// when it has nothing to look for (only punctuation).
    static func query(_ keyword: String) -> String? {
        let tokens = keywordTokens(keyword)
        guard !tokens.isEmpty else { return nil }
        return tokens.map { token in
            token.unicodeScalars.count == 1 && isHangulSyllable(token.unicodeScalars.first!) ? quoted(token) + ":*" : quoted(token)
        }.joined(separator: " & ")
    }

    /// NFKC and lower case. Most text is ASCII and Hangul syllables, which NFKC leaves alone, so
    /// that common case skips Foundation's normalisation (the tokenizer's main cost otherwise).
    static func normalized(_ text: String) -> String {
        let plain = text.utf8.allSatisfy { $0 < 0x80 }
            || text.unicodeScalars.allSatisfy { $0.value < 0x80 || (0xAC00...0xD7A3).contains($0.value) }
        return (plain ? text : text.precomposedStringWithCompatibilityMapping).lowercased()
    }

    private static func tokens(_ text: String, trailingSyllable: Bool) -> [String] {
        let normalized = normalized(text)
        var tokens: [String] = []
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
        flushWord()
        return tokens
    }

    private static func isHangulSyllable(_ scalar: Unicode.Scalar) -> Bool {
        (0xAC00...0xD7A3).contains(scalar.value)
    }

    /// Tokens hold only letters and digits, but a quote or backslash would end the literal early.
    private static func quoted(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\\") }) else { return "'" + token + "'" }
        return "'" + token.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }
}
