import Shared

/// Who may do what to a video: anyone watches one and lists them; its owner or an administrator
/// deletes it.
enum VideoPolicy {
    static func mayDelete(_ identity: Identity, ownerID: String) -> Bool {
        identity.isAdmin || identity.userID.lowercased() == ownerID.lowercased()
    }
}
