import Foundation
import Shared

/// The rules for what a post may hold; every write goes through them.
struct PostLimits: Sendable {
    var maxTitleCharacters = 200
    var maxBodyCharacters = 20_000
    var maxTags = 10
    var maxTagCharacters = 30
    /// Summaries carry this many code points of the body at most (the column allows 200); a page
    /// of 20 stays under 10 KB even in Hangul.
    var excerptCharacters = 120

    func title(_ raw: String) throws -> String {
        try TextRule(field: "title", scalars: 1...maxTitleCharacters).check(raw)
    }

    func body(_ raw: String) throws -> String {
        try TextRule(field: "body", scalars: 0...maxBodyCharacters, multiline: true).check(raw)
    }

    /// Tags in lower case, without a leading `#`, spaces as `-`, duplicates dropped (first kept).
    func tags(_ raw: [String]) throws -> [String] {
        var seen = Set<String>()
        var tags: [String] = []
        for value in raw {
            var tag = value.precomposedStringWithCompatibilityMapping.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
            if tag.hasPrefix("#") { tag.removeFirst() }
            tag = tag.split(whereSeparator: \.isWhitespace).joined(separator: "-")
            guard (1...maxTagCharacters).contains(tag.unicodeScalars.count),
                  tag.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "_" })
            else {
                throw APIError.invalid("each tag must be 1 to \(maxTagCharacters) letters, digits, - or _", code: "invalid_tag")
            }
            if seen.insert(tag).inserted { tags.append(tag) }
        }
        guard tags.count <= maxTags else { throw APIError.invalid("at most \(maxTags) tags", code: "too_many_tags") }
        return tags
    }

    /// The start of the body with runs of whitespace made one space, cut at a word where it can be
    /// and never inside a character. Counted in code points, as the column's CHECK counts: a
    /// family emoji is seven. Reads only as much of the body as the excerpt needs.
    func excerpt(of body: String) -> String {
        var flat: [Character] = []
        var count = 0
        var space = false
        var cutShort = false
        for character in body {
            if character.isWhitespace {
                space = !flat.isEmpty
                continue
            }
            let size = character.unicodeScalars.count + (space ? 1 : 0)
            guard count + size <= excerptCharacters else {
                cutShort = true
                break
            }
            if space {
                flat.append(" ")
                space = false
            }
            flat.append(character)
            count += size
        }
        guard cutShort else { return String(flat) }
        // Room for the ellipsis, then back to the last word break if it is not too far back.
        while let last = flat.last, count + 1 > excerptCharacters {
            count -= last.unicodeScalars.count
            flat.removeLast()
        }
        let atWord = flat.lastIndex(of: " ").map { flat[..<$0] } ?? flat[...]
        return (atWord.count >= flat.count / 2 ? String(atWord) : String(flat)) + "…"
    }
}
