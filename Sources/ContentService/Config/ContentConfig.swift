import Configuration
import Foundation
import Shared

/// The settings only ContentService reads; README lists them with their environment variables.
struct ContentConfig: Sendable {
    var posts: PostLimits
    var paging: PagingLimits
    /// How many of the newest matches `sort=relevance` ranks.
    var relevanceCandidates: Int
    /// Signs page cursors; instances behind one load balancer need the same one.
    var cursorSecret: String?
    var cache: PageCache.Settings
    var likeFoldInterval: Duration
    var authorFeedInterval: Duration
    /// Searches recorded as `search.performed` keep this much of the keyword.
    var auditKeywordCharacters: Int
    var playlists: PlaylistLimits
    var uploads: UploadLimits
    var uploadQuota: UploadQuota
    /// A viewer's plays of one video count once in this window.
    var playWindow: Duration
    /// The media folder (shared with the Workers; nginx serves it as `mediaURL`).
    var mediaDirectory: String
    var mediaURL: String
    var playFoldInterval: Duration
    var uploadSweepInterval: Duration

    init(reader: ConfigReader) {
        posts = PostLimits()
        posts.maxBodyCharacters = reader.int(forKey: "content.max.body.chars", default: 20_000)
        paging = PagingLimits()
        paging.maxSize = max(1, reader.int(forKey: "content.max.page.size", default: 100))
        paging.maxOffsetRows = max(0, reader.int(forKey: "content.max.offset.rows", default: 10_000))
        relevanceCandidates = reader.int(forKey: "content.relevance.candidates", default: 1000)
        cursorSecret = reader.string(forKey: "content.cursor.secret", isSecret: true)
        cache = .init(keyPrefix: reader.string(forKey: "content.key.prefix", default: "content"),
                      ttl: .milliseconds(reader.int(forKey: "content.cache.ttl.ms", default: 5000)),
                      generationRefresh: .milliseconds(reader.int(forKey: "content.cache.generation.refresh.ms", default: 500)))
        likeFoldInterval = .milliseconds(reader.int(forKey: "content.like.fold.ms", default: 500))
        authorFeedInterval = .milliseconds(reader.int(forKey: "content.author.feed.ms", default: 1000))
        auditKeywordCharacters = reader.int(forKey: "content.audit.keyword.chars", default: 100)
        playlists = PlaylistLimits()
        playlists.maxItems = reader.int(forKey: "content.playlist.max.items", default: 500)
        uploads = UploadLimits()
        uploads.maxBytes = Int64(reader.int(forKey: "content.max.upload.bytes", default: 2 << 30))
        uploads.resumableExpiry = .seconds(reader.int(forKey: "content.upload.expiry.seconds", default: 24 * 3600))
        uploadQuota = UploadQuota()
        uploadQuota.maxOpenUploads = reader.int(forKey: "content.uploads.open.per.user", default: uploadQuota.maxOpenUploads)
        uploadQuota.maxBytesInFlight = Int64(reader.int(forKey: "content.upload.bytes.in.flight.per.user", default: Int(uploadQuota.maxBytesInFlight)))
        uploadQuota.maxBytesPerDay = Int64(reader.int(forKey: "content.upload.bytes.per.day.per.user", default: Int(uploadQuota.maxBytesPerDay)))
        uploadQuota.minFreeBytes = Int64(reader.int(forKey: "content.media.min.free.bytes", default: Int(uploadQuota.minFreeBytes)))
        playWindow = .seconds(max(1, reader.int(forKey: "content.play.window.seconds", default: 3600)))
        mediaDirectory = reader.string(forKey: "media.dir", default: "media")
        mediaURL = reader.string(forKey: "content.media.url", default: "/media")
        playFoldInterval = .milliseconds(reader.int(forKey: "content.play.fold.ms", default: 1000))
        uploadSweepInterval = .seconds(reader.int(forKey: "content.upload.sweep.seconds", default: 60))
    }
}
