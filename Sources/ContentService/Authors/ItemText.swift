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

    /// What a client may send, also the body of an edit; nil leaves a field as it is.
    struct Fields: Decodable, Sendable {
        var title: String?
        var description: String?
        var visibility: String?
    }

    /// An edit, checked: at least one field given, each valid.
    struct Change: Sendable {
        var title: String?
        var description: String?
        var visibility: Visibility?

        /// For the audit event: which fields changed, and the new visibility.
        var auditPayload: [String: String] {
            let fields = [("title", title), ("description", description), ("visibility", visibility?.rawValue)].filter { $0.1 != nil }.map(\.0)
            var payload = ["fields": fields.joined(separator: ",")]
            if let visibility { payload["visibility"] = visibility.rawValue }
            return payload
        }
    }

    func change(_ fields: Fields) throws -> Change {
        guard fields.title != nil || fields.description != nil || fields.visibility != nil else {
            throw APIError.invalid("give at least one of title, description and visibility", code: "empty_update")
        }
        return Change(title: try fields.title.map(title), description: try fields.description.map(description),
                      visibility: try fields.visibility.map(visibility))
    }
}
