import Configuration
import Foundation

/// The settings only GPTService reads; README lists them with their environment variables.
struct GPTConfig: Sendable {
    /// The first part of every Redis key of this service (`GPT_KEY_PREFIX`).
    var keyPrefix: String
    var upstream: ChatClient.Settings
    var upstreamConcurrency: Int
    var upstreamMaxWait: Duration
    var breakerFailures: Int
    var breakerCooldown: Duration

    var maxQuestionCharacters: Int
    var maxQuestionBytes: Int
    /// Keys the digests anonymous callers are known by (`GPT_ADDRESS_SECRET`).
    var addressSecret: String?
    var quotaPolicy: QuotaPolicy
    var timeZone: TimeZone
    var burstLimit: Int
    var burstWindow: Duration

    var dailyBudget: Double?
    var prices: SpendBudget.Prices
    var currency: String

    var cacheTTL: Duration
    var minimumAnswerCharacters: Int
    var lexicalLayer: Bool
    var semanticLayer: Bool
    var semanticThreshold: Float
    var semanticMaxEntries: Int
    var mergeWait: Duration

    init(reader: ConfigReader) {
        keyPrefix = reader.string(forKey: "gpt.key.prefix", default: "gpt")
        let totalTimeout = Duration.milliseconds(max(100, reader.int(forKey: "gpt.upstream.timeout.ms", default: 30_000)))
        upstream = ChatClient.Settings(
            baseURL: reader.string(forKey: "openai.base.url", default: "http://127.0.0.1:8089/v1"),
            apiKey: reader.string(forKey: "openai.api.key", isSecret: true),
            model: reader.string(forKey: "openai.model", default: "gpt-4o-mini"),
            embeddingModel: reader.string(forKey: "openai.embedding.model", default: "text-embedding-3-small"),
            systemPrompt: reader.string(forKey: "gpt.system.prompt"),
            maxTokens: max(1, reader.int(forKey: "gpt.max.tokens", default: 512)),
            connectTimeout: .milliseconds(max(10, reader.int(forKey: "gpt.upstream.connect.timeout.ms", default: 2000))),
            totalTimeout: totalTimeout,
            embeddingTimeout: .milliseconds(max(10, reader.int(forKey: "gpt.embedding.timeout.ms", default: 500))),
            retries: max(0, reader.int(forKey: "gpt.upstream.retries", default: 2)))
        upstreamConcurrency = max(1, reader.int(forKey: "gpt.upstream.concurrency", default: 32))
        upstreamMaxWait = .milliseconds(max(0, reader.int(forKey: "gpt.upstream.max.wait.ms", default: 500)))
        breakerFailures = max(1, reader.int(forKey: "gpt.breaker.failures", default: 5))
        breakerCooldown = .milliseconds(max(100, reader.int(forKey: "gpt.breaker.cooldown.ms", default: 10_000)))

        maxQuestionCharacters = max(1, reader.int(forKey: "gpt.question.max.chars", default: 2000))
        maxQuestionBytes = max(4, reader.int(forKey: "gpt.question.max.bytes", default: 4 * maxQuestionCharacters))
        addressSecret = reader.string(forKey: "gpt.address.secret", isSecret: true)
        // A negative limit means unlimited.
        func limit(_ key: ConfigKey, _ fallback: Int) -> Int? {
            let value = reader.int(forKey: key, default: fallback)
            return value < 0 ? nil : value
        }
        quotaPolicy = QuotaPolicy(limits: [
            .anonymous: limit("gpt.quota.anonymous", 5),
            .unverified: limit("gpt.quota.unverified", 20),
            .verified: limit("gpt.quota.verified", 100),
            .admin: limit("gpt.quota.admin", -1),
        ])
        timeZone = TimeZone(identifier: reader.string(forKey: "gpt.quota.timezone", default: "Asia/Seoul")) ?? TimeZone(identifier: "UTC")!
        burstLimit = max(1, reader.int(forKey: "gpt.burst.limit", default: 3))
        burstWindow = .milliseconds(max(1, reader.int(forKey: "gpt.burst.window.ms", default: 1000)))

        let budget = reader.double(forKey: "gpt.budget.daily", default: 10_000)
        dailyBudget = budget < 0 ? nil : budget
        prices = SpendBudget.Prices(
            perCall: max(0, reader.double(forKey: "gpt.price.per.call", default: 0.03)),
            perThousandPromptTokens: max(0, reader.double(forKey: "gpt.price.per.1k.prompt.tokens", default: 0)),
            perThousandCompletionTokens: max(0, reader.double(forKey: "gpt.price.per.1k.completion.tokens", default: 0)),
            perEmbedding: max(0, reader.double(forKey: "gpt.price.per.embedding", default: 0.001)))
        currency = reader.string(forKey: "gpt.currency", default: "KRW")

        cacheTTL = .seconds(max(1, reader.int(forKey: "gpt.cache.ttl.seconds", default: 72 * 3600)))
        minimumAnswerCharacters = max(1, reader.int(forKey: "gpt.cache.min.answer.chars", default: 2))
        lexicalLayer = reader.bool(forKey: "gpt.cache.lexical", default: true)
        semanticLayer = reader.bool(forKey: "gpt.cache.semantic", default: true)
        semanticThreshold = Float(min(1, max(0, reader.double(forKey: "gpt.semantic.threshold", default: 0.85))))
        semanticMaxEntries = max(1, reader.int(forKey: "gpt.semantic.max.entries", default: 50_000))
        mergeWait = .milliseconds(max(100, reader.int(forKey: "gpt.merge.wait.ms", default: Int(totalTimeout.milliseconds) + 5000)))
    }
}
