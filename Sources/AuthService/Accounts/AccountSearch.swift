import Foundation
import Shared

/// What an administrator's account search looks for, read from its `query`: the one rule for it.
///
/// - empty: every account;
/// - a UUID: the account with that id (and nothing else: ids are not prefixes);
/// - text with an `@`: accounts whose email starts with it (emails are stored in lower case);
/// - other text: accounts whose email or nickname starts with it, ignoring case.
///
/// Prefixes, not substrings: each is read from an index (auth migration 0005), and an
/// administrator looking for someone knows how their name or address begins.
enum AccountQuery: Sendable, Equatable {
    case all
    case id(String)
    case email(prefix: String)
    case text(prefix: String)

    /// As long as the longest email; a nickname is shorter still.
    static let maxLength = EmailAddress.maxLength

    /// The query as given (nil when absent); 422 `invalid_query` when it is too long or holds
    /// control characters.
    init(_ raw: String?) throws {
        let text = try TextRule(field: "query", scalars: 0...Self.maxLength).check(raw ?? "")
        if text.isEmpty {
            self = .all
        } else if let id = UUID(uuidString: text) {
            self = .id(id.uuidString.lowercased())
        } else if text.contains("@") {
            self = .email(prefix: text)
        } else {
            self = .text(prefix: text)
        }
    }

    /// What kind of query it was: what the audit event records, never the text, which may be
    /// someone's address or name.
    var kind: String {
        switch self {
        case .all: "all"
        case .id: "id"
        case .email: "email"
        case .text: "text"
        }
    }

    /// What a cursor of this search is signed for: it continues this search only.
    var fingerprint: String {
        switch self {
        case .all: "admin-users|all"
        case .id(let id): "admin-users|id|\(id)"
        case .email(let prefix): "admin-users|email|\(prefix)"
        case .text(let prefix): "admin-users|text|\(prefix)"
        }
    }

    var paging: Paging {
        Paging(fingerprint: fingerprint, style: .cursor, items: "accounts", isID: Paging.uuids)
    }

    /// `prefix` as a LIKE pattern: its own `%`, `_` and `\` taken literally, then anything.
    static func likePattern(_ prefix: String) -> String {
        var pattern = ""
        for character in prefix {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }
}

/// An account as administrators see it: what the user sees of it, and the ban (its reason, the
/// administrator who banned, and since when), or null.
struct AdminAccountView: Codable, Sendable, Equatable {
    var id: String
    var email: String
    var nickname: String
    var role: String
    var emailVerified: Bool
    var banned: Ban?
    var createdAt: Date

    struct Ban: Codable, Sendable, Equatable {
        /// The reason of the latest ban.
        var reason: String
        /// The administrator who gave it; null for bans recorded before administrators were.
        var by: String?
        /// When the account was banned (a repeated ban keeps the first time).
        var at: Date

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(reason, forKey: .reason)
            try container.encode(by, forKey: .by)
            try container.encode(at, forKey: .at)
        }
    }

    /// `banned` and `by` are written as null, not left out: an unbanned account says so.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(email, forKey: .email)
        try container.encode(nickname, forKey: .nickname)
        try container.encode(role, forKey: .role)
        try container.encode(emailVerified, forKey: .emailVerified)
        try container.encode(banned, forKey: .banned)
        try container.encode(createdAt, forKey: .createdAt)
    }
}
