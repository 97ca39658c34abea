import Shared

/// Who may see, list and change a playlist: the one rule every playlist route asks. The owner
/// does everything; anyone reads a public or unlisted playlist; nobody else learns that a private
/// one exists (a 404, administrators included), nor sees any playlist of a banned owner; only the
/// owner changes one (a 403 for others who can see it).
enum PlaylistPolicy {
    enum Access: Comparable {
        case none, read, write
    }

    static func access(visibility: PlaylistVisibility, ownerID: String, ownerBanned: Bool = false, by identity: Identity?) -> Access {
        if Ownership.owns(identity, ownerID) { return .write }
        return visibility == .private || ownerBanned ? .none : .read
    }

    /// Throws the answer for a caller without `needed`: 404 when they may not even see it.
    static func require(_ needed: Access, visibility: PlaylistVisibility, ownerID: String, ownerBanned: Bool = false,
                        by identity: Identity?) throws {
        let granted = access(visibility: visibility, ownerID: ownerID, ownerBanned: ownerBanned, by: identity)
        guard granted >= needed else {
            if granted == .none { throw notFound }
            throw APIError.forbidden("Only the owner may change this playlist")
        }
    }

    /// What `GET /api/users/{id}/playlists` shows this viewer: everything to the owner, public ones
    /// to everyone else (unlisted ones are reached by their id only), none of a banned owner's.
    static func listed(ownerID: String, ownerBanned: Bool = false, by identity: Identity?) -> [PlaylistVisibility] {
        if Ownership.owns(identity, ownerID) { return PlaylistVisibility.allCases }
        return ownerBanned ? [] : [.public]
    }

    static let notFound = APIError.notFound("No such playlist")
}
