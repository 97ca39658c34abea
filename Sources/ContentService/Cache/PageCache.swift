import Crypto
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import Shared

/// First pages of listings and searches, as the JSON bytes sent, in Redis for `ttl`.
///
/// Keys are `<prefix>:v1:page:<generation>:<sha256 of the listing and page size>`. Creating, changing or deleting
/// a post, or an author's ban, raises the generation, so the next request reads the database; each
/// instance re-reads the generation at most every `generationRefresh`, which bounds how long another
/// instance's change stays unseen. Likes change no generation: like counts in cached pages lag by up
/// to `ttl`. Misses of one key in one instance share one query (`SingleFlight`). Redis trouble
/// is a miss, never an error: the database answers.
final class PageCache: Sendable {
    struct Settings: Sendable {
        /// The first part of every key (`CONTENT_KEY_PREFIX`).
        var keyPrefix: String
        var ttl: Duration
        var generationRefresh: Duration
    }

    enum Outcome: String {
        case hit, miss, joined, bypass
    }

    private let redis: RedisClient
    private let settings: Settings
    private let logger: Logger
    private let flights = SingleFlight<RenderedPage>()
    private let generation = NIOLockedValueBox<(value: String, readAt: ContinuousClock.Instant)?>(nil)
    private var generationKey: String { "\(settings.keyPrefix):v1:generation" }

    init(redis: RedisClient, settings: Settings, logger: Logger) {
        self.redis = redis
        self.settings = settings
        self.logger = logger
    }

    /// The page for `listing`, from the cache or from `load` (then stored).
    func page(kind: String, listing: String, _ load: @escaping @Sendable () async throws -> RenderedPage) async throws -> RenderedPage {
        guard settings.ttl > .zero, let generation = await currentGeneration() else {
            Self.count(kind, .bypass)
            return try await load()
        }
        let key = "\(settings.keyPrefix):v1:page:\(generation):" + SHA256.hash(data: Data(listing.utf8)).hexString
        if let cached = await cachedValue(key).flatMap(RenderedPage.init(stored:)) {
            Self.count(kind, .hit)
            return cached
        }
        let (page, joined) = try await flights.run(key) { [redis, settings, logger] in
            let page = try await load()
            do {
                try await redis.set(key, page.stored, expiresIn: settings.ttl)
            } catch {
                logger.warning("page cache store failed", metadata: ["error": "\(error.reason)"])
            }
            return page
        }
        Self.count(kind, joined ? .joined : .miss)
        return page
    }

    /// After a change to what lists show: every cached page of every instance is out of date.
    func invalidate() async {
        do {
            let value = try await redis.increment(generationKey)
            generation.withLockedValue { $0 = (String(value), .now) }
        } catch {
            // Without Redis the stale pages cannot be read either; the TTL ends them anyway.
            generation.withLockedValue { $0 = nil }
            logger.warning("page cache invalidation failed", metadata: ["error": "\(error.reason)"])
        }
    }

    private func currentGeneration() async -> String? {
        if let known = generation.withLockedValue({ $0 }), ContinuousClock.now - known.readAt < settings.generationRefresh {
            return known.value
        }
        do {
            let value = try await redis.get(generationKey) ?? "0"
            generation.withLockedValue { $0 = (value, .now) }
            return value
        } catch {
            logger.warning("page cache unavailable", metadata: ["error": "\(error.reason)"])
            return nil
        }
    }

    private func cachedValue(_ key: String) async -> String? {
        do {
            return try await redis.get(key)
        } catch {
            logger.warning("page cache read failed", metadata: ["error": "\(error.reason)"])
            return nil
        }
    }

    private static let counters: [String: Counter] = {
        var counters: [String: Counter] = [:]
        for kind in ["posts", "search"] {
            for outcome in [Outcome.hit, .miss, .joined, .bypass] {
                counters["\(kind)|\(outcome.rawValue)"] = Counter(
                    label: "content_page_cache_total", dimensions: [("kind", kind), ("outcome", outcome.rawValue)])
            }
        }
        return counters
    }()

    private static func count(_ kind: String, _ outcome: Outcome) {
        counters["\(kind)|\(outcome.rawValue)"]?.increment()
    }
}
