import Configuration
import Crypto
import Foundation
import Hummingbird
import ServiceLifecycle
import Shared

/// Composes ContentService; `main` and the tests both start here.
func buildApplication(reader: ConfigReader) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "content", defaultPort: 8082, reader: reader))
    let config = ContentConfig(reader: reader)
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

    let router = runtime.makeRouter()
    let anyone = runtime.authMiddleware(required: false)
    PostsController(database: database, store: store, limits: config.posts, paging: config.paging, cursors: cursors, cache: cache, logger: logger)
        .addRoutes(to: router.group("api/posts").add(middleware: anyone))
    SearchController(store: store, paging: config.paging, relevanceCandidates: config.relevanceCandidates, cursors: cursors,
                     cache: cache, audit: audit, auditKeywordCharacters: config.auditKeywordCharacters)
        .addRoutes(to: router.group("api/search").add(middleware: anyone))

    let services: [any Service] = [
        audit,
        LikeCounter(database: database, interval: config.likeFoldInterval, logger: logger),
        AuthorFeed(database: database, jobs: jobs, interval: config.authorFeedInterval, logger: logger) { await cache.invalidate() },
        SearchReindexer(database: database, interval: .seconds(60), logger: logger),
    ]
    return runtime.makeApplication(router: router, services: services, migrations: [try MigrationSet(schema: "content", bundle: .module)])
}

/// This module's resources (its migrations), for the commands and the tests.
let resourceBundle = Bundle.module
