import Shared

/// What a playlist or a video says of itself, checked the same for both: a title of 1 to 200
/// characters, a description of up to 2,000 on several lines, and a visibility.
struct ItemText: Sendable {
    var maxTitleCharacters = 200
    var maxDescriptionCharacters = 2000

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
