import Foundation
import Shared

/// What a playlist may hold; every write goes through these.
struct PlaylistLimits: Sendable {
    var maxTitleCharacters = 200
    var maxDescriptionCharacters = 2000
    var maxItems = 500

    func title(_ raw: String) throws -> String {
        try TextRule(field: "title", scalars: 1...maxTitleCharacters).check(raw)
    }

    func description(_ raw: String) throws -> String {
        try TextRule(field: "description", scalars: 0...maxDescriptionCharacters, multiline: true).check(raw)
    }

    func visibility(_ raw: String) throws -> Visibility {
        try Visibility.checked(raw)
    }
}
