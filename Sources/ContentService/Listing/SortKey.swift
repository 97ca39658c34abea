import Foundation

/// The position of a summary in a listing: what keyset paging continues after.
struct SortKey: Sendable, Equatable {
    /// Microseconds since 1970 for the time orders, the like count for `likes`.
    var value: Int64
    var id: Int64
}

/// A cursor as text, `<payload>.<tag>` in base64url, before its signature is checked
/// (`PageCursor`), and the sort key its payload holds. Outside bytes: bounded, and nil for
/// anything else.
enum CursorText {
    /// The longest cursor looked at; real ones are under 60 characters.
    static let maxLength = 200

    static func encode(_ position: SortKey) -> Data {
        Data("\(position.value).\(position.id)".utf8)
    }

    /// The payload and the 16-byte tag, or nil.
    static func split(_ text: String) -> (payload: Data, tag: Data)? {
        guard text.utf8.count <= maxLength else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Data(base64URL: parts[0]), let tag = Data(base64URL: parts[1]), tag.count == 16 else { return nil }
        return (payload, tag)
    }

    /// The sort key a (signed, so ours) payload holds.
    static func position(_ payload: Data) -> SortKey? {
        let fields = String(decoding: payload, as: UTF8.self).split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 2, let value = Int64(fields[0]), let id = Int64(fields[1]) else { return nil }
        return SortKey(value: value, id: id)
    }
}
