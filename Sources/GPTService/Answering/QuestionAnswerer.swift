import Foundation
import Logging
import Metrics
import Shared

/// Answers a question as cheaply as it can be answered: from a cache layer, by joining an
/// identical question already on its way to the upstream, and only then by asking the upstream
/// itself, which alone costs the caller a unit of quota and the service money.
struct QuestionAnswerer: Sendable {
    struct Settings: Sendable {
        var model: String
        var namespace: String
        var lexicalLayer: Bool
        var semanticLayer: Bool
        var semanticThreshold: Float
        var burstLimit: Int
        var burstWindow: Duration
        /// How long a follower on another instance waits for the leader's outcome.
        var mergeWait: Duration
        var maxCompletionTokens: Int
    }

    enum Reply: Sendable {
        /// Found in a cache layer: the whole answer now, and the caller's quota when it was read
        /// in the same round trip.
        case cached(Answer, quota: DailyQuota.Status?)
        /// On its way: the text as it comes, then the outcome. `leader` is whether this caller's
        /// request is the one that went upstream (and was charged).
        case flight(Flight, AsyncStream<Flight.Update>, leader: Bool, charged: DailyQuota.Status?)
    }

    let settings: Settings
    let cache: AnswerCache
    let index: SemanticIndex
    let chat: ChatClient
    let quota: DailyQuota
    let burst: SlidingWindowLimiter
    let budget: SpendBudget
    let cacheability: Cacheability
    let flights: InFlightAnswers
    let lock: MergeLock
    let logger: Logger

    /// The cache keys of a question under this service's model and namespace.
    func keys(for question: NormalizedQuestion, upstream: String) -> CacheKeys {
        CacheKeys(question: question, upstream: upstream, model: settings.model, namespace: settings.namespace)
    }

    /// `arrived`: when the request reached the edge, from which its wait for the upstream counts.
    /// `late`: the request already waited past the queue deadline (`AppRequestContext.late`), so
    /// it gets only what the cache layers that cost no upstream call, or a flight already on its
    /// way in this process, can give it; anything else is shed as `overloaded`. `streaming`: the
    /// caller reads the text as it comes, so text that came before a failure was delivered.
    func ask(_ question: String, normalized: NormalizedQuestion, keys: CacheKeys, subject: QuotaSubject, useCache: Bool,
             arrived: ContinuousClock.Instant = .now, late: Bool = false, streaming: Bool = false) async throws -> Reply {
        // A question the key cannot cover whole is answered for itself alone.
        let useCache = useCache && normalized.isShareable
        for _ in 0..<3 {
            if useCache, let (hit, status) = try await lookup(normalized, keys: keys, subject: subject) { return .cached(hit, quota: status) }
            guard !late || useCache else { throw Self.shed() }
            let joined: (Flight, InFlightAnswers.Role)? = late ? flights.follow(keys.digest).map { ($0, .follower) } : flights.join(keys.digest)
            guard case let (flight, role)? = joined else { throw Self.shed() }
            if role == .follower {
                // A leader that gave up before asking (its own quota) sends everyone round again.
                if case .finished(.retry) = await flight.firstUpdate() { continue }
                Counter(label: "gpt_merged_total").increment()
                return .flight(flight, flight.subscribe(), leader: false, charged: nil)
            }
            do {
                // The embeddings call costs too: a caller over its burst limit or out of quota does
                // not get one (and so no semantic answer; exact and lexical ones it still gets).
                try await admit(subject)
                let embedding = useCache && settings.semanticLayer ? try await embedding(of: question) : nil
                if let embedding, let hit = try await semanticLookup(embedding, for: normalized) {
                    flight.finish(.answered(hit, finishReason: "stop"))
                    flights.end(keys.digest, flight)
                    return .cached(hit, quota: nil)
                }
                let charge = try await charge(subject, question: question)
                let updates = flight.subscribe()
                Task {
                    await lead(flight, question: question, normalized: normalized, keys: keys, embedding: embedding,
                               subject: subject, charge: charge, useCache: useCache, arrived: arrived, streaming: streaming)
                }
                return .flight(flight, updates, leader: true, charged: charge.quota)
            } catch {
                flight.finish(.retry)
                flights.end(keys.digest, flight)
                throw error
            }
        }
        throw AskFailure.overloaded
    }

    // MARK: Cache layers

    private func lookup(_ question: NormalizedQuestion, keys: CacheKeys, subject: QuotaSubject) async throws -> (Answer, DailyQuota.Status)? {
        let read = quota.statusRead(of: subject)
        let (exact, lexicalDigest, quotaReply) = try await cache.lookup(keys, alongside: read.command)
        let status = read.status(from: quotaReply ?? .null)
        if let exact {
            Self.count(layer: "exact", "hit")
            return (Answer(text: exact.answer, source: .exact, model: exact.model), status)
        }
        Self.count(layer: "exact", "miss")
        guard settings.lexicalLayer, keys.lexical != nil else { return nil }
        if let lexicalDigest, let found = try await cache.answer(digest: lexicalDigest, model: settings.model) {
            if QuestionGuard.allows(cached: found.normalizedQuestion, for: question) {
                Self.count(layer: "lexical", "hit")
                return (Answer(text: found.answer, source: .lexical, model: found.model), status)
            }
            Self.count(layer: "lexical", "refused")
            return nil
        }
        Self.count(layer: "lexical", "miss")
        return nil
    }

    private func semanticLookup(_ embedding: [Float], for question: NormalizedQuestion) async throws -> Answer? {
        for match in index.nearest(embedding, threshold: settings.semanticThreshold) {
            guard let found = try await cache.answer(digest: match.digest, model: settings.model) else {
                // Its answer expired or was evicted: the vector goes too.
                index.remove(digest: match.digest)
                try? await cache.removeVector(digest: match.digest, model: settings.model)
                continue
            }
            if QuestionGuard.allows(cached: found.normalizedQuestion, for: question) {
                Self.count(layer: "semantic", "hit")
                return Answer(text: found.answer, source: .semantic, model: found.model)
            }
            Self.count(layer: "semantic", "refused")
        }
        Self.count(layer: "semantic", "miss")
        return nil
    }

    // MARK: Paying for an upstream call

    struct Charge: Sendable {
        var quota: DailyQuota.Status
        var budget: SpendBudget.Reservation
    }

    /// The burst limit, and a look at the quota without taking from it.
    private func admit(_ subject: QuotaSubject) async throws {
        guard subject.tier != .admin else { return }
        let rule = SlidingWindowLimiter.Rule(key: "\(settings.namespace):burst:\(subject.key)", limit: settings.burstLimit, window: settings.burstWindow)
        if case .limited(_, let wait) = try await burst.acquire([rule]) {
            Self.refused("burst")
            throw AskFailure.burst(retryAfter: wait)
        }
        let status = try await quota.status(of: subject)
        if let remaining = status.remaining, remaining == 0 {
            Self.refused("quota")
            throw AskFailure.quotaExceeded(status, retryAfter: max(1, Int(status.resetAt.timeIntervalSinceNow.rounded(.up))))
        }
    }

    /// A unit of the daily quota, counted atomically, and the worst-case price; what was taken is
    /// given back when a later step refuses.
    private func charge(_ subject: QuotaSubject, question: String) async throws -> Charge {
        let status: DailyQuota.Status
        switch try await quota.take(subject) {
        case .exceeded(let exceeded):
            Self.refused("quota")
            throw AskFailure.quotaExceeded(exceeded, retryAfter: max(1, Int(exceeded.resetAt.timeIntervalSinceNow.rounded(.up))))
        case .counted(let counted):
            status = counted
        }
        let estimate = budget.prices.cost(promptTokens: Self.promptTokensAtMost(question), completionTokens: settings.maxCompletionTokens)
        guard let reservation = try await budget.reserve(estimate) else {
            try? await quota.refund(subject, counted: status)
            Self.refused("budget")
            throw AskFailure.budgetExhausted(retryAfter: max(1, Int(status.resetAt.timeIntervalSinceNow.rounded(.up))))
        }
        return Charge(quota: status, budget: reservation)
    }

    /// The question's embedding, paid from the budget like any upstream call: skipped (and the
    /// semantic layer with it) when the day's budget has no room for it.
    private func embedding(of question: String) async throws -> [Float]? {
        let price = budget.prices.perEmbedding
        guard let reservation = try await budget.reserve(price) else { return nil }
        let vector = await chat.embedding(question)
        // A call that failed before an answer costs nothing; a vector was paid for.
        try? await budget.settle(reservation, actual: vector == nil ? 0 : price)
        return vector
    }

    /// A generous token count for the reservation: no tokenizer here, and about three bytes a
    /// token covers English and overestimates Korean (three bytes a syllable, one or more tokens).
    static func promptTokensAtMost(_ question: String) -> Int { max(1, question.utf8.count / 3) + 16 }

    private func refund(_ charge: Charge, subject: QuotaSubject) async {
        try? await quota.refund(subject, counted: charge.quota)
        try? await budget.settle(charge.budget, actual: 0)
    }

    // MARK: Leading

    /// Runs apart from the leader's request, so a client that hangs up does not end the answer its
    /// followers wait for.
    private func lead(_ flight: Flight, question: String, normalized: NormalizedQuestion, keys: CacheKeys,
                      embedding: [Float]?, subject: QuotaSubject, charge: Charge, useCache: Bool, arrived: ContinuousClock.Instant,
                      streaming: Bool) async {
        defer { flights.end(keys.digest, flight) }
        do {
            for _ in 0..<3 {
                if try await lock.acquire(keys) {
                    // Another instance may have answered between our cache miss and the lock.
                    if useCache, let answered = try await cache.lookup(keys).exact {
                        try? await lock.release(keys)
                        await refund(charge, subject: subject)
                        flight.finish(.answered(Answer(text: answered.answer, source: .merged, model: answered.model), finishReason: "stop"))
                        return
                    }
                    await askUpstream(flight, question: question, normalized: normalized, keys: keys, embedding: embedding,
                                      subject: subject, charge: charge, arrived: arrived, streaming: streaming)
                    return
                }
                switch try await lock.waitForOutcome(keys, timeout: settings.mergeWait) {
                case .published(let outcome):
                    await refund(charge, subject: subject)
                    Counter(label: "gpt_merged_total").increment()
                    if let text = outcome.answer {
                        flight.finish(.answered(Answer(text: text, source: .merged, model: outcome.model ?? settings.model),
                                                finishReason: outcome.finishReason))
                    } else {
                        flight.finish(.failed(outcome.failure == "overloaded" ? .overloaded
                            : .upstreamUnavailable(retryAfter: .seconds(outcome.retryAfterSeconds ?? 1))))
                    }
                    return
                case .abandoned:
                    continue  // take the lock ourselves, still holding our charge
                case .timedOut:
                    break
                }
                break
            }
            await refund(charge, subject: subject)
            flight.finish(.failed(.upstreamUnavailable(retryAfter: .seconds(1))))
        } catch {
            logger.warning("merging failed", metadata: ["error": "\(error.reason)"])
            await refund(charge, subject: subject)
            flight.finish(.failed(.upstreamUnavailable(retryAfter: .seconds(2))))
        }
    }

    private func askUpstream(_ flight: Flight, question: String, normalized: NormalizedQuestion, keys: CacheKeys,
                             embedding: [Float]?, subject: QuotaSubject, charge: Charge, arrived: ContinuousClock.Instant,
                             streaming: Bool) async {
        do {
            let completion = try await chat.complete(question, arrived: arrived) { flight.publish($0) }
            let cost = budget.prices.cost(promptTokens: completion.promptTokens, completionTokens: completion.completionTokens)
            try? await budget.settle(charge.budget, actual: cost)
            let verdict = cacheability.verdict(question: normalized, answer: completion.text, finishReason: completion.finishReason)
            Counter(label: "gpt_cache_stores_total", dimensions: [("verdict", verdict.rawValue)]).increment()
            if verdict == .cacheable {
                let entry = CachedAnswer(answer: completion.text, question: normalized.text, model: settings.model, createdAt: Date(),
                                         promptTokens: completion.promptTokens, completionTokens: completion.completionTokens)
                do {
                    try await cache.store(entry, keys: keys, embedding: settings.semanticLayer ? embedding : nil)
                    if settings.semanticLayer, let embedding { index.insert(digest: keys.digest, vector: embedding) }
                } catch {
                    logger.warning("could not cache an answer", metadata: ["error": "\(error.reason)"])
                }
            }
            try? await lock.publish(.init(answer: completion.text, model: completion.model, finishReason: completion.finishReason), keys: keys)
            flight.finish(.answered(Answer(text: completion.text, source: .upstream, model: completion.model,
                                           promptTokens: completion.promptTokens, completionTokens: completion.completionTokens, cost: cost),
                                    finishReason: completion.finishReason))
        } catch {
            let streamed = flight.text
            if streamed.isEmpty {
                await refund(charge, subject: subject)
            } else {
                // The upstream was paid for the text it sent before it failed: the budget keeps
                // that text's estimated price (never more than was reserved, so the cap holds).
                // The quota unit stays spent only if the caller read that text as it came; one
                // waiting for the whole answer got none of it.
                if !streaming { try? await quota.refund(subject, counted: charge.quota) }
                let spent = budget.prices.cost(promptTokens: Self.promptTokensAtMost(question),
                                               completionTokens: Self.promptTokensAtMost(streamed))
                try? await budget.settle(charge.budget, actual: min(spent, Double(charge.budget.micros) / 1_000_000))
            }
            let failure: AskFailure
            switch error {
            case ChatClient.Failure.busy: failure = .overloaded
            case ChatClient.Failure.unavailable(let wait): failure = .upstreamUnavailable(retryAfter: wait)
            default: failure = .upstreamUnavailable(retryAfter: .seconds(1))
            }
            let retryAfter: Int = if case .upstreamUnavailable(let wait) = failure { wait.wholeSecondsUp } else { 1 }
            try? await lock.publish(.init(failure: failure == .overloaded ? "overloaded" : "upstream_unavailable",
                                          retryAfterSeconds: retryAfter), keys: keys)
            flight.finish(.failed(failure))
        }
    }

    private static let lookups: [String: Counter] = {
        var counters: [String: Counter] = [:]
        for layer in ["exact", "lexical", "semantic"] {
            for result in ["hit", "miss", "refused"] {
                counters["\(layer)/\(result)"] = Counter(label: "gpt_cache_lookups_total", dimensions: [("layer", layer), ("result", result)])
            }
        }
        return counters
    }()

    private static func count(layer: String, _ result: String) {
        lookups["\(layer)/\(result)"]?.increment()
    }

    /// A late question no cache or flight could answer.
    private static func shed() -> AskFailure {
        refused("late")
        return .overloaded
    }

    private static func refused(_ reason: String) {
        Counter(label: "gpt_refusals_total", dimensions: [("reason", reason)]).increment()
    }
}
