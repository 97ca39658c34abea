import Configuration
import Crypto
import Foundation
import Hummingbird
import ServiceLifecycle
import Shared

/// Composes ContentService; `main` and the tests both start here.
func buildApplication(reader: ConfigReader) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "content", defaultPort: 8082, reader: reader))
    let (router, services) = try buildRouter(runtime: runtime, config: ContentConfig(reader: reader))
    return try runtime.makeApplication(router: router, services: services, migrations: [try MigrationSet(schema: "content", bundle: .module)],
                                   document: try APIDocument(bundle: .module))
}

/// The routes and the background services, apart from the process around them (the tests read
/// the routes to check that every one is covered).
func buildRouter(runtime: ServiceRuntime, config: ContentConfig) throws -> (router: Router<AppRequestContext>, services: [any Service]) {
    let database = runtime.database
    let logger = runtime.logger

    let secret: Data
    if let configured = config.cursorSecret, !configured.isEmpty {
        secret = Data(configured.utf8)
    } else {
        logger.warning("CONTENT_CURSOR_SECRET is not set: page cursors work only on this instance and until it restarts")
        secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }
    let cursors = PageCursor(secret: secret)
    let store = PostStore(database: database, logger: logger)
    let cache = PageCache(redis: runtime.redis, settings: config.cache, logger: logger)
    let jobs = JobQueue(database: database, logger: logger)
    let audit = JobBatcher<AuditEvent>.auditEvents(jobs: jobs)

    let media = MediaLayout(root: URL(fileURLWithPath: config.mediaDirectory))
    for folder in MediaLayout.folders {
        try FileManager.default.createDirectory(at: media.url(folder), withIntermediateDirectories: true)
    }
    let videoStore = VideoStore(database: database, mediaURL: config.mediaURL, logger: logger)
    let uploadStore = ResumableUploadStore(database: database, logger: logger)

    let router = runtime.makeRouter(bodyLimits: ["/api/videos": config.uploads.maxRequestBytes])
    let anyone = runtime.authMiddleware(required: false)
    let editor = PostEditor(database: database, store: store, limits: config.posts, logger: logger)
    let marks = LikeMarks(store: store)
    let posts = PostsController(store: store, editor: editor, limits: config.posts, paging: config.paging, cursors: cursors, cache: cache,
                                marks: marks)
    posts.addRoutes(to: router.group("api/posts").add(middleware: anyone))
    SearchController(store: store, paging: config.paging, relevanceCandidates: config.relevanceCandidates, cursors: cursors,
                     cache: cache, marks: marks, audit: audit, auditKeywordCharacters: config.auditKeywordCharacters)
        .addRoutes(to: router.group("api/search").add(middleware: anyone))
    let playlistStore = PlaylistStore(database: database, mediaURL: config.mediaURL, logger: logger)
    let playlists = PlaylistsController(
        store: playlistStore, authors: AuthorStore(database: database, logger: logger), editor: PlaylistEditor(database: database, store: playlistStore, limits: config.playlists, logger: logger),
        paging: config.paging, cursors: cursors)
    playlists.addRoutes(to: router.group("api/playlists").add(middleware: anyone))
    let users = router.group("api/users").add(middleware: anyone)
    playlists.addUserRoutes(to: users)
    posts.addUserRoutes(to: users)
    let volume = MediaVolume(root: media.root)
    let plays = PlayCounter(redis: runtime.redis, namespace: config.cache.keyPrefix, window: config.playWindow, secret: secret)
    let registration = VideoRegistration(database: database, store: videoStore, media: media, logger: logger)
    // `uploads` is a path of its own, never a video id: the router prefers constants to captures.
    ResumableUploadsController(store: uploadStore, registration: registration, media: media, limits: config.uploads,
                               quota: config.uploadQuota, volume: volume, logger: logger)
        .addRoutes(to: router.group("api/videos/uploads").add(middleware: anyone))
    VideosController(store: videoStore, editor: VideoEditor(database: database, store: videoStore, media: media, text: config.uploads.text, logger: logger),
                     registration: registration, uploads: uploadStore, media: media, limits: config.uploads, quota: config.uploadQuota,
                     volume: volume, paging: config.paging, cursors: cursors, plays: plays, audit: audit)
        .addRoutes(to: router.group("api/videos").add(middleware: anyone))
    AdminController(authors: AuthorStore(database: database, logger: logger), jobs: jobs)
        .addRoutes(to: router.group("api/admin").add(middleware: runtime.authMiddleware()).add(middleware: RequireAdminMiddleware()))
    let sweeper = UploadSweeper(database: database, store: uploadStore, media: media, logger: logger)

    let services: [any Service] = [
        audit,
        DeltaFolder.likes(database: database, interval: config.likeFoldInterval, logger: logger).task,
        DeltaFolder.plays(database: database, interval: config.playFoldInterval, logger: logger).task,
        PeriodicTask("sweeping expired uploads", every: config.uploadSweepInterval, logger: logger) { try await sweeper.sweep() },
        PeriodicTask("measuring the media volume", every: .seconds(2), logger: logger) { try await volume.refresh() },
        AuthorFeed(database: database, jobs: jobs, media: media, interval: config.authorFeedInterval, logger: logger) { await cache.invalidate() }.task,
        SearchReindexer(database: database, interval: .seconds(60), logger: logger).task,
    ]
    return (router, services)
}
