import Shared

/// Who may do what to a post: its author and administrators change it; a post hidden because its
/// author is banned is seen by administrators only.
enum PostAccess {
    static func mayChange(_ identity: Identity, authorID: String) -> Bool {
        identity.isAdmin || Ownership.owns(identity, authorID)
    }

    static func maySee(hidden: Bool, by identity: Identity?) -> Bool {
        !hidden || identity?.isAdmin == true
    }
}
