import Foundation
import Shared

/// Content knows its users by the UUIDs AuthService gives them, in lowercase. Whether a caller
/// owns a post, video, playlist or upload is this one comparison; the policies build on it.
enum Ownership {
    /// The caller as the owner of something new; an identity whose id is no UUID owns nothing.
    static func ownerID(of identity: Identity) throws -> String {
        guard let id = UUID(uuidString: identity.userID) else { throw APIError.forbidden("This account cannot own content") }
        return id.uuidString.lowercased()
    }

    /// A user a request names: `me` is the caller (401 without one), anything else a user id
    /// (nil when it is none).
    static func user(named text: String, by identity: Identity?) throws -> String? {
        guard text == "me" else { return UUID(uuidString: text)?.uuidString.lowercased() }
        guard let identity else { throw APIError.unauthorized() }
        return try ownerID(of: identity)
    }

    /// Whether `identity` is the user `ownerID` names (nobody owns anything anonymously).
    static func owns(_ identity: Identity?, _ ownerID: String) -> Bool {
        guard let identity else { return false }
        return identity.userID.lowercased() == ownerID.lowercased()
    }
}
