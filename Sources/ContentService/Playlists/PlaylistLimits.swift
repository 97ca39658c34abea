import Foundation
import Shared

/// What a playlist may hold; every write goes through these.
struct PlaylistLimits: Sendable {
    var maxTitleCharacters = 200
    var maxDescriptionCharacters = 2000
    var maxItems = 500

    func title(_ raw: String) throws -> String {
        try TitleRule.check(raw, max: maxTitleCharacters)
    }

    func description(_ raw: String) throws -> String {
        guard raw.count <= maxDescriptionCharacters, !raw.containsControlCharacters(allowingNewlines: true) else {
            throw APIError.invalid("description must be at most \(maxDescriptionCharacters) characters without control characters",
                                   code: "invalid_description")
        }
        return raw
    }

    func visibility(_ raw: String) throws -> PlaylistVisibility {
        guard let visibility = PlaylistVisibility(rawValue: raw) else {
            throw APIError.invalid("visibility must be public, unlisted or private", code: "invalid_visibility")
        }
        return visibility
    }
}
