import Shared

/// Who may see, list and change a playlist or a video: the one rule their routes ask. The owner
/// does everything; anyone reads a public or unlisted one; nobody else learns that a private one
/// exists (a 404, administrators included), nor sees anything of a banned owner; only the owner
/// changes one (a 403 for others who can see it). `VideoPolicy` adds what is a video's own.
enum VisibilityPolicy {
    enum Access: Comparable {
        case none, read, write
    }

    static func access(visibility: Visibility, ownerID: String, ownerBanned: Bool = false, by identity: Identity?) -> Access {
        if Ownership.owns(identity, ownerID) { return .write }
        return visibility == .private || ownerBanned ? .none : .read
    }

    /// Throws the answer for a caller with `granted` who needs `needed`: `notFound` when they may
    /// not even see it, 403 when they may see it but not change it.
    static func require(_ needed: Access, granted: Access, notFound: APIError) throws {
        guard granted >= needed else {
            if granted == .none { throw notFound }
            throw APIError.forbidden("Only the owner may change this")
        }
    }

    /// What a listing of `ownerID`'s things shows this viewer: everything to the owner, public
    /// ones to everyone else (unlisted ones are reached by their id only), none of a banned owner's.
    static func listed(ownerID: String, ownerBanned: Bool = false, by identity: Identity?) -> [Visibility] {
        if Ownership.owns(identity, ownerID) { return Visibility.allCases }
        return ownerBanned ? [] : [.public]
    }
}

enum Visibility: String, Codable, Sendable, CaseIterable {
    /// Listed and readable by anyone.
    case `public`
    /// Readable by anyone with its id, listed to its owner only.
    case unlisted
    /// The owner's alone: a 404 for everyone else.
    case `private`

    /// A client's value: one of the three, else 422 `invalid_visibility`.
    static func checked(_ raw: String) throws -> Visibility {
        guard let visibility = Visibility(rawValue: raw) else {
            throw APIError.invalid("visibility must be public, unlisted or private", code: "invalid_visibility")
        }
        return visibility
    }
}
