/// Every action an audit event can record: the one vocabulary the services write, the analysts'
/// views filter on, and docs/analytics.md lists (a test holds the three together).
public enum AuditAction: String, CaseIterable, Codable, Sendable {
    // Accounts (AuthService)
    case userSignedUp = "user.signed_up"
    case userEmailVerified = "user.email_verified"
    case userPasswordResetRequested = "user.password_reset_requested"
    case userPasswordReset = "user.password_reset"
    case userLoggedIn = "user.logged_in"
    case userLoginFailed = "user.login_failed"
    case userLoggedOut = "user.logged_out"
    case userLoggedOutAll = "user.logged_out_all"
    case refreshTokenReused = "auth.refresh_reuse"
    case userPasswordChanged = "user.password_changed"
    case userNicknameChanged = "user.nickname_changed"
    case userSessionEnded = "user.session_ended"
    case userDeleted = "user.deleted"
    // Moderation (AuthService)
    case userBanned = "admin.user_banned"
    case userUnbanned = "admin.user_unbanned"
    case usersSearched = "admin.users_searched"
    case userViewed = "admin.user_viewed"
    case userContentViewed = "admin.user_content_viewed"  // by ContentService
    // Posts (ContentService)
    case postCreated = "post.created"
    case postUpdated = "post.updated"
    case postDeleted = "post.deleted"
    case postLiked = "post.liked"
    case postUnliked = "post.unliked"
    case searchPerformed = "search.performed"
    // Playlists (ContentService)
    case playlistCreated = "playlist.created"
    case playlistUpdated = "playlist.updated"
    case playlistDeleted = "playlist.deleted"
    case playlistItemAdded = "playlist.item_added"
    case playlistItemRemoved = "playlist.item_removed"
    // Videos (ContentService)
    case videoUploaded = "video.uploaded"
    case videoUpdated = "video.updated"
    case videoDeleted = "video.deleted"
    case videoPlayed = "video.played"
    // Questions (GPTService)
    case questionAnswered = "gpt.asked"
}
