import Foundation
import Logging
import Metrics
import PostgresNIO
import Shared

/// Keeps `content.authors` in step with AuthService: takes the `user.changed` messages from the
/// `content.authors` queue and applies them to this service's own schema. A ban hides the
/// author's posts (and their tag rows) from every listing and search; an unban shows them again.
/// A deletion erases everything of the author (`AuthorErasure`), files included.
struct AuthorFeed: Sendable {
    let database: Database
    let jobs: JobQueue
    let media: MediaLayout
    let interval: Duration
    let logger: Logger
    let worker = "content-\(UUID().uuidString.prefix(8).lowercased())"
    /// Told after a change that hides or shows posts, so cached pages go too.
    let onVisibilityChange: @Sendable () async -> Void

    private let applied = Counter(label: "content_author_changes_total")

    init(database: Database, jobs: JobQueue, media: MediaLayout, interval: Duration, logger: Logger,
         onVisibilityChange: @escaping @Sendable () async -> Void) {
        self.database = database
        self.jobs = jobs
        self.media = media
        self.interval = interval
        self.logger = logger
        self.onVisibilityChange = onVisibilityChange
    }

    /// Applies what is waiting at start and then every `interval`.
    var task: PeriodicTask {
        PeriodicTask("applying author changes", every: interval, startsNow: true, logger: logger) {
            while try await drainOnce() > 0 {}
        }
    }

    /// Applies what is waiting, up to a batch; returns how many messages it took.
    @discardableResult
    func drainOnce() async throws -> Int {
        let claimed = try await jobs.claim(queues: [UserChange.contentQueue], limit: 100, worker: worker, lease: .seconds(30))
        var done: [ClaimedJob] = []
        var failed: [(job: ClaimedJob, failure: JobFailure, retryIn: Duration)] = []
        var visibilityChanged = false
        for job in claimed {
            do {
                let change = try job.decodePayload(as: UserChange.self)
                visibilityChanged = try await apply(change) || visibilityChanged
                done.append(job)
            } catch let failure as JobFailure {
                failed.append((job, failure, .seconds(5)))
            } catch {
                failed.append((job, JobFailure(error.reason), .seconds(5)))
            }
        }
        try await jobs.complete(done, worker: worker)
        try await jobs.fail(failed, worker: worker)
        if visibilityChanged { await onVisibilityChange() }
        applied.increment(by: done.count)
        return claimed.count
    }

    /// Applies one change unless a newer one is already there; true when posts were hidden or shown.
    func apply(_ change: UserChange) async throws -> Bool {
        guard let id = UUID(uuidString: change.userID) else {
            throw JobFailure("user id \(change.userID) is not a UUID", permanent: true)
        }
        let userID = id.uuidString.lowercased()
        if change.deleted {
            let videos = try await database.withTransaction(logger: logger) { connection in
                try await AuthorErasure(logger: logger).erase(userID, on: connection)
            }
            for video in videos { media.removeFiles(of: video.id, original: video.source) }
            return true
        }
        return try await database.withTransaction(logger: logger) { connection in
            let before = try await connection.query("""
                SELECT banned FROM content.authors WHERE id = \(userID)::uuid FOR UPDATE
                """, logger: logger).collect().first?.decode(Bool.self) ?? false
            let rows = try await connection.query("""
                INSERT INTO content.authors AS a (id, nickname, banned, version)
                VALUES (\(userID)::uuid, \(change.nickname), \(change.banned), \(change.version))
                ON CONFLICT (id) DO UPDATE SET nickname = excluded.nickname, banned = excluded.banned, version = excluded.version
                WHERE a.version < excluded.version AND NOT a.deleted
                RETURNING a.banned <> \(before)
                """, logger: logger).collect()
            guard let flipped = try rows.first?.decode(Bool.self), flipped else { return false }
            try await connection.query("""
                UPDATE content.posts SET visible = \(!change.banned) WHERE author_id = \(userID)::uuid AND visible = \(change.banned)
                """, logger: logger)
            try await connection.query("""
                UPDATE content.post_tags t SET visible = \(!change.banned) FROM content.posts p
                WHERE p.author_id = \(userID)::uuid AND t.post_id = p.id AND t.visible = \(change.banned)
                """, logger: logger)
            return true
        }
    }
}
