import Foundation

/// The position of an item in a listing: what keyset paging continues after. `value` is the sort
/// column (microseconds since 1970 for the time orders, a count for `likes`, rows skipped for
/// listings paged by number); `id` the tie-breaker as text, a post's number or a UUID.
public struct SortKey: Sendable, Equatable {
    public var value: Int64
    public var id: String

    public init(value: Int64, id: String) {
        self.value = value
        self.id = id
    }

    public init(value: Int64, id: Int64) {
        self.init(value: value, id: String(id))
    }

    public init(value: Int64, id: UUID) {
        self.init(value: value, id: id.uuidString.lowercased())
    }

    /// The tie-breaker as a post's id; nil when the cursor came from a listing of something else.
    public var postID: Int64? { Int64(id) }
    public var uuid: UUID? { UUID(uuidString: id) }
}

/// A cursor as text, `<payload>.<tag>` in base64url, before its signature is checked
/// (`PageCursor`), and the sort key its payload holds. Outside bytes: bounded, and nil for
/// anything else.
public enum CursorText {
    /// The longest cursor looked at; real ones are under 100 characters.
    public static let maxLength = 200

    public static func encode(_ position: SortKey) -> Data {
        Data("\(position.value).\(position.id)".utf8)
    }

    /// The payload and the 16-byte tag, or nil.
    public static func split(_ text: String) -> (payload: Data, tag: Data)? {
        guard text.utf8.count <= maxLength else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Data(base64URL: parts[0]), let tag = Data(base64URL: parts[1]), tag.count == 16 else { return nil }
        return (payload, tag)
    }

    /// The sort key a (signed, so ours) payload holds: a number, a dot, and an id of at most 36
    /// letters, digits and hyphens.
    public static func position(_ payload: Data) -> SortKey? {
        let fields = String(decoding: payload, as: UTF8.self).split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 2, let value = Int64(fields[0]), (1...36).contains(fields[1].utf8.count),
              fields[1].utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) })
        else { return nil }
        return SortKey(value: value, id: String(fields[1]))
    }
}
