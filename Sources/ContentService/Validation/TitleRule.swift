import Foundation
import Shared

/// The one rule for every title (posts, playlists, videos): trimmed, 1 to `max` characters, no
/// control characters.
enum TitleRule {
    static func check(_ raw: String, max: Int) throws -> String {
        let title = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...max).contains(title.count), !title.containsControlCharacters(allowingNewlines: false) else {
            throw APIError.invalid("title must be 1 to \(max) characters without control characters", code: "invalid_title")
        }
        return title
    }
}
