import Foundation

/// What other services keep of a user (ContentService: id, nickname and whether banned), sent by
/// AuthService in the transaction of the change. Each message holds the whole current state and
/// its version, so applying one twice or out of order leaves the newest state.
public struct UserChange: Codable, Sendable, Equatable {
    public var userID: String
    public var nickname: String
    public var banned: Bool
    /// The account was deleted: everything of it goes (absent in older messages: false).
    public var deleted: Bool
    /// Milliseconds since 1970 at the change; a copy ignores a message older than what it holds.
    public var version: Int64

    public init(userID: String, nickname: String, banned: Bool, deleted: Bool = false, version: Int64 = Date().millisecondsSince1970) {
        self.userID = userID
        self.nickname = nickname
        self.banned = banned
        self.deleted = deleted
        self.version = version
    }

    /// The message that tells the other services an account is gone.
    public static func deletion(of userID: String) -> UserChange {
        UserChange(userID: userID, nickname: "", banned: true, deleted: true)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        userID = try container.decode(String.self, forKey: .userID)
        nickname = try container.decode(String.self, forKey: .nickname)
        banned = try container.decode(Bool.self, forKey: .banned)
        deleted = try container.decodeIfPresent(Bool.self, forKey: .deleted) ?? false
        version = try container.decode(Int64.self, forKey: .version)
    }

    /// ContentService's copy of the author.
    public static let contentQueue = "content.authors"
    public static let kind = "user.changed"
}

extension NewJob {
    public static func userChange(_ change: UserChange) throws -> NewJob {
        try NewJob(queue: UserChange.contentQueue, kind: UserChange.kind, payload: change, maxAttempts: 50)
    }
}
