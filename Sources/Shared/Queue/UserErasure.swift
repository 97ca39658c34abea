import Foundation

/// What the Workers forget of a deleted account, sent by AuthService in the transaction of the
/// deletion: its past audit events keep the user id (which no longer names anyone) but lose the
/// client address, the user agent, the questions asked and any ban reason; the mail deliveries
/// log forgets the address.
public struct UserErasure: Codable, Sendable, Equatable {
    public var userID: String
    public var email: String

    public init(userID: String, email: String) {
        self.userID = userID
        self.email = email
    }

    public static let kind = "user.erase"
}

extension NewJob {
    public static func erasure(_ erasure: UserErasure) throws -> NewJob {
        try NewJob(queue: AuditEvent.queue, kind: UserErasure.kind, payload: erasure, maxAttempts: 50, uniqueKey: "erase:\(erasure.userID)")
    }
}
