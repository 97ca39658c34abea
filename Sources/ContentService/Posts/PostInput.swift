import Foundation
import Shared

/// The rules for what a post may hold; every write goes through them.
struct PostLimits: Sendable {
    var maxTitleCharacters = 200
    var maxBodyCharacters = 20_000
    var maxTags = 10
    var maxTagCharacters = 30
    /// Summaries carry this much of the body; a page of 20 stays under 10 KB even in Hangul.
    var excerptCharacters = 120

    func title(_ raw: String) throws -> String {
        try TitleRule.check(raw, max: maxTitleCharacters)
    }

    func body(_ raw: String) throws -> String {
        guard raw.count <= maxBodyCharacters, !raw.containsControlCharacters(allowingNewlines: true) else {
            throw APIError.invalid("body must be at most \(maxBodyCharacters) characters without control characters", code: "invalid_body")
        }
        return raw
    }

    /// Tags in lower case, without a leading `#`, spaces as `-`, duplicates dropped (first kept).
    func tags(_ raw: [String]) throws -> [String] {
        var seen = Set<String>()
        var tags: [String] = []
        for value in raw {
            var tag = value.precomposedStringWithCompatibilityMapping.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
            if tag.hasPrefix("#") { tag.removeFirst() }
            tag = tag.split(whereSeparator: \.isWhitespace).joined(separator: "-")
            guard (1...maxTagCharacters).contains(tag.count),
                  tag.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "_" })
            else {
                throw APIError.invalid("each tag must be 1 to \(maxTagCharacters) letters, digits, - or _", code: "invalid_tag")
            }
            if seen.insert(tag).inserted { tags.append(tag) }
        }
        guard tags.count <= maxTags else { throw APIError.invalid("at most \(maxTags) tags", code: "too_many_tags") }
        return tags
    }

    /// The start of the body with runs of whitespace made one space, cut at a word where it can be.
    /// Reads only as much of the body as the excerpt needs.
    func excerpt(of body: String) -> String {
        var flat = ""
        var count = 0
        var space = false
        for character in body {
            if character.isWhitespace {
                space = count > 0
                continue
            }
            if space {
                flat.append(" ")
                count += 1
                space = false
            }
            flat.append(character)
            count += 1
            if count > excerptCharacters { break }
        }
        guard count > excerptCharacters else { return flat }
        let cut = flat.prefix(excerptCharacters - 1)
        let atWord = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return (atWord.count >= excerptCharacters / 2 ? String(atWord) : String(cut)) + "…"
    }
}

extension String {
    func containsControlCharacters(allowingNewlines: Bool) -> Bool {
        unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control && !(allowingNewlines && (scalar == "\n" || scalar == "\r" || scalar == "\t"))
        }
    }
}
