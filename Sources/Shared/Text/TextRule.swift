import Foundation

/// The one rule for text a client sends, whichever service takes it: composed (NFC), trimmed,
/// free of control characters, and measured the way Postgres measures it.
///
/// Lengths count Unicode code points, as `char_length` does, after NFC: a title typed on a system
/// that sends decomposed Hangul (three code points a syllable) counts one a syllable, as stored.
/// Grapheme clusters are never counted: one "character" can hold hundreds of combining marks. A
/// cap on UTF-8 bytes bounds what a field costs to store, index and send on, whatever it holds.
public struct TextRule: Sendable {
    /// The field as a client knows it, named in the error.
    public let field: String
    /// The error code of a refusal, `invalid_<field>` unless given.
    public let code: String
    public let scalars: ClosedRange<Int>
    public let maxBytes: Int
    /// Whether line breaks and tabs are allowed (a body) or refused (a title).
    public let multiline: Bool
    /// Whether invisible format characters (joiners, bidirectional controls, tags) are allowed:
    /// text needs them for emoji and mixed scripts; a name that identifies someone does not.
    public let allowsInvisibles: Bool

    /// `maxBytes` defaults to four bytes a code point, the most UTF-8 spends on one.
    public init(field: String, code: String? = nil, scalars: ClosedRange<Int>, maxBytes: Int? = nil, multiline: Bool = false,
                allowsInvisibles: Bool = true) {
        self.field = field
        self.code = code ?? "invalid_\(field)"
        self.scalars = scalars
        self.maxBytes = maxBytes ?? 4 * scalars.upperBound
        self.multiline = multiline
        self.allowsInvisibles = allowsInvisibles
    }

    /// The text as stored, or a 422 naming the field and what is wrong with it.
    public func check(_ raw: String) throws -> String {
        // NFC can shrink text to a third (decomposed Hangul), never less: anything larger is
        // refused before the work of composing it.
        guard raw.utf8.count <= 3 * maxBytes else { throw tooLong() }
        let composed = Self.isComposed(raw) ? raw : raw.precomposedStringWithCanonicalMapping
        let text = multiline ? composed : composed.trimmingWhitespace()
        if let bad = text.unicodeScalars.first(where: { !Self.isAllowed($0, multiline: multiline) || (!allowsInvisibles && String.isInvisible($0)) }) {
            throw APIError.invalid(
                "\(field) must not contain control\(allowsInvisibles ? "" : " or invisible") characters (found U+\(String(bad.value, radix: 16, uppercase: true)))",
                code: code)
        }
        let count = text.unicodeScalars.count
        if count < scalars.lowerBound {
            throw APIError.invalid(scalars.lowerBound == 1 ? "\(field) must not be empty" : "\(field) must be at least \(scalars.lowerBound) characters",
                                   code: code)
        }
        guard count <= scalars.upperBound, text.utf8.count <= maxBytes else { throw tooLong() }
        return text
    }

    private func tooLong() -> APIError {
        APIError.invalid(
            "\(field) must be at most \(scalars.upperBound) characters (Unicode code points) and \(maxBytes) bytes of UTF-8",
            code: code)
    }

    /// Text NFC leaves as it is, told without Foundation (which bridges through NSString, a cost
    /// on every question and title): code points below U+0300 and precomposed Hangul syllables
    /// never change and nothing among them composes.
    static func isComposed(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 } || text.unicodeScalars.allSatisfy { $0.value < 0x300 || (0xAC00...0xD7A3).contains($0.value) }
    }

    /// Control characters are refused (line breaks and tabs allowed in multi-line text), and so
    /// are code points no text holds: unassigned, private use, noncharacters.
    static func isAllowed(_ scalar: Unicode.Scalar, multiline: Bool) -> Bool {
        if scalar.isASCII {
            return scalar.value >= 0x20 && scalar.value != 0x7F || (multiline && (scalar == "\n" || scalar == "\t" || scalar == "\r"))
        }
        switch scalar.properties.generalCategory {
        case .control, .unassigned, .privateUse, .surrogate, .lineSeparator, .paragraphSeparator: return false
        default: return !scalar.properties.isNoncharacterCodePoint
        }
    }
}
