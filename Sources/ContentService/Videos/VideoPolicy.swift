import Shared

/// Who may see and do what with a video, the rule every video route and listing asks:
/// `VisibilityPolicy`, as for playlists (anyone reads a public or unlisted one, only its owner a
/// private one or anything of a banned owner, only the owner changes one), and what is a video's
/// own: one still processing, or failed, is its owner's alone, and an administrator may delete
/// one they can see.
enum VideoPolicy {
    static func access(status: String, visibility: Visibility, ownerID: String, ownerBanned: Bool, by identity: Identity?)
        -> VisibilityPolicy.Access {
        let access = VisibilityPolicy.access(visibility: visibility, ownerID: ownerID, ownerBanned: ownerBanned, by: identity)
        return access == .write || status == "ready" ? access : .none
    }

    static func mayDelete(_ access: VisibilityPolicy.Access, by identity: Identity) -> Bool {
        access == .write || (access == .read && identity.isAdmin)
    }

    /// Whether a listing of `ownerID`'s videos shows this viewer all of them, or only the ones
    /// anyone may find.
    static func listsAll(ownerID: String?, by identity: Identity?) -> Bool {
        guard let ownerID else { return false }
        return Ownership.owns(identity, ownerID)
    }

    /// Whether plays of it count: one anyone may watch (`reachable`, its SQL twin).
    static func countsPlays(_ video: VideoStore.Head) -> Bool {
        video.status == "ready" && video.visibility != .private && !video.ownerBanned
    }

    static let notFound = APIError.notFound("No such video")

    /// The SQL for "its owner is banned", on `content.videos v`. `owner_id` is text: one that is
    /// not a UUID is nobody banned, never a failed cast.
    static let ownerBanned = """
        EXISTS (SELECT 1 FROM content.authors a
                WHERE a.id = CASE WHEN v.owner_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                                  THEN v.owner_id::uuid END
                  AND a.banned)
        """

    /// The SQL condition for "anyone may watch it", public or unlisted, on `content.videos v`.
    static let reachable = "v.status = 'ready' AND v.visibility <> 'private' AND NOT \(ownerBanned)"

    /// The SQL condition for "listed to anyone": public too.
    static let listed = "v.status = 'ready' AND v.visibility = 'public' AND NOT \(ownerBanned)"
}
