import Configuration
import Foundation
import Hummingbird
import ServiceLifecycle
import Shared

/// Composes GPTService; `main` and the tests both start here (tests with a clock they move).
func buildApplication(reader: ConfigReader, clock: ServiceClock = .system) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "gpt", defaultPort: 8083, reader: reader), clock: clock)
    let config = GPTConfig(reader: reader)
    let model = config.upstream.model
    let logger = runtime.logger
    if config.upstream.apiKey?.isEmpty ?? true, !config.upstream.baseURL.contains("127.0.0.1"), !config.upstream.baseURL.contains("localhost") {
        logger.warning("OPENAI_API_KEY is not set for a remote upstream", metadata: ["base_url": .string(RedactedURL.string("\(config.upstream.baseURL)"))])
    }

    let chat = ChatClient(
        settings: config.upstream,
        breaker: CircuitBreaker(name: "chat", failureThreshold: config.breakerFailures, cooldown: config.breakerCooldown, clock: clock),
        embeddingBreaker: CircuitBreaker(name: "embeddings", failureThreshold: config.breakerFailures, cooldown: config.breakerCooldown,
                                         clock: clock),
        gate: UpstreamGate(limit: config.upstreamConcurrency, maxWait: config.upstreamMaxWait),
        clock: clock, logger: logger)
    let day = QuotaDay(timeZone: config.timeZone)
    let quota = DailyQuota(redis: runtime.redis, namespace: config.keyPrefix, policy: config.quotaPolicy, day: day)
    let budget = SpendBudget(redis: runtime.redis, namespace: config.keyPrefix, day: day, dailyCap: config.dailyBudget, prices: config.prices)
    let cache = AnswerCache(redis: runtime.redis, namespace: config.keyPrefix, ttl: config.cacheTTL, maxVectors: config.semanticMaxEntries)
    let index = SemanticIndex(capacity: config.semanticMaxEntries, model: model)
    let batcher = JobBatcher<AuditEvent>.auditEvents(jobs: JobQueue(database: runtime.database, logger: logger))
    let answerer = QuestionAnswerer(
        settings: .init(model: model, namespace: config.keyPrefix, lexicalLayer: config.lexicalLayer, semanticLayer: config.semanticLayer,
                        semanticThreshold: config.semanticThreshold, burstLimit: config.burstLimit, burstWindow: config.burstWindow,
                        mergeWait: config.mergeWait, maxCompletionTokens: config.upstream.maxTokens),
        cache: cache, index: index, chat: chat, quota: quota, burst: SlidingWindowLimiter(redis: runtime.redis), budget: budget,
        cacheability: Cacheability(minimumAnswerCharacters: config.minimumAnswerCharacters),
        flights: InFlightAnswers(),
        lock: MergeLock(redis: runtime.redis, instance: UUID().uuidString, lockTTL: config.upstream.totalTimeout + .seconds(5)),
        logger: logger)

    let addressSecret: String
    if let configured = config.addressSecret, !configured.isEmpty {
        addressSecret = configured
    } else {
        addressSecret = UUID().uuidString + UUID().uuidString
        logger.warning("GPT_ADDRESS_SECRET is not set: anonymous quotas are counted per instance and start again when it restarts")
    }

    // A question a cache answers costs a Redis round trip; one for the model costs a call to it.
    let router = runtime.makeRouter(cacheable: ["/api/gpt/qna"])
    QnAController(answerer: answerer, quota: quota, ledger: UsageLedger(batcher: batcher), addresses: AddressDigest(secret: addressSecret),
                  questionRule: TextRule(field: "question", scalars: 1...config.maxQuestionCharacters, maxBytes: config.maxQuestionBytes,
                                         multiline: true))
        .addRoutes(to: router.group("api/gpt").add(middleware: runtime.authMiddleware(required: false)))

    var services: [any Service] = [chat, batcher]
    if config.semanticLayer {
        services.append(SemanticSync(index: index, cache: cache, model: model, interval: .seconds(2), logger: logger).task)
    }
    return try runtime.makeApplication(router: router, services: services, migrations: [try MigrationSet(schema: "gpt", bundle: .module)],
                                   document: try APIDocument(bundle: .module))
}
