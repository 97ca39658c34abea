import Shared

/// Who may see and do what with a video, the one rule every video route and listing asks.
/// Anyone watches and lists a ready video whose owner is not banned; a video still processing or
/// failed is its owner's business (and an administrator's), and a banned owner's videos are
/// hidden like their posts. The owner or an administrator deletes one.
enum VideoPolicy {
    static func mayDelete(_ identity: Identity, ownerID: String) -> Bool {
        identity.isAdmin || Ownership.owns(identity, ownerID)
    }

    static func maySee(status: String, ownerID: String, ownerBanned: Bool, by identity: Identity?) -> Bool {
        if identity?.isAdmin == true || Ownership.owns(identity, ownerID) { return true }
        return status == "ready" && !ownerBanned
    }

    /// Whether a listing of `ownerID`'s videos shows this viewer all of them, or only the ones
    /// anyone may see.
    static func listsAll(ownerID: String?, by identity: Identity?) -> Bool {
        guard let ownerID else { return false }
        return Ownership.owns(identity, ownerID)
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

    /// The SQL condition for "anyone may see it", on `content.videos v`.
    static let shownToAnyone = "v.status = 'ready' AND NOT \(ownerBanned)"
}
