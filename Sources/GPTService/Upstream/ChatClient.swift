import AsyncHTTPClient
import Atomics
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared

/// An OpenAI-compatible upstream: streamed chat completions and embeddings over
/// async-http-client, behind admission, a circuit breaker, deadlines and retries.
///
/// Chat is always asked for as a stream, with usage, whatever the client wants: a merged
/// follower or a streaming client can then see the answer as it comes, and a plain answer is
/// the same stream put together.
final class ChatClient: Sendable, Service {
    struct Settings: Sendable {
        var baseURL: String
        var apiKey: String?
        var model: String
        var embeddingModel: String
        var systemPrompt: String?
        var maxTokens: Int
        var connectTimeout: Duration
        /// For the whole answer, retries and their waits included.
        var totalTimeout: Duration
        var embeddingTimeout: Duration
        var retries: Int
        var retryBaseDelay: Duration = .milliseconds(200)
        var retryMaxDelay: Duration = .seconds(2)
    }

    struct Completion: Sendable, Equatable {
        var text: String
        var finishReason: String?
        var promptTokens: Int
        var completionTokens: Int
        var model: String
    }

    enum Failure: Error, Sendable, Equatable {
        /// The breaker is open or the upstream kept failing; `retryAfter` is a hint for the client.
        case unavailable(retryAfter: Duration)
        /// No slot freed up within the admission wait.
        case busy
    }

    let settings: Settings
    let breaker: CircuitBreaker
    let embeddingBreaker: CircuitBreaker
    let gate: UpstreamGate
    /// What the waits between retries are made on.
    private let clock: ServiceClock
    private let http: HTTPClient
    private let logger: Logger

    init(settings: Settings, breaker: CircuitBreaker, embeddingBreaker: CircuitBreaker, gate: UpstreamGate, clock: ServiceClock = .system,
         logger: Logger) {
        self.settings = settings
        self.breaker = breaker
        self.embeddingBreaker = embeddingBreaker
        self.gate = gate
        self.clock = clock
        self.logger = logger
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(settings.connectTimeout.nanoseconds))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, gate.limit))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        // The series the dashboards read, there from the start: at zero until the first call.
        for outcome in ["ok", "busy", "circuit_open", "refused", "timeout", "connect_error", "status_4xx", "status_5xx", "stream_error", "malformed"] {
            _ = Self.counter(outcome)
        }
        _ = Timer(label: "gpt_upstream_duration_seconds")
        _ = Timer(label: "gpt_embedding_duration_seconds")
        _ = Counter(label: "gpt_spend_micros_total")
    }

    /// Closes the connections after the server has stopped (services stop in reverse order).
    func run() async throws {
        try? await gracefulShutdown()
        try await http.shutdown()
    }

    // MARK: Chat

    /// Asks the upstream; `onDelta` sees each piece of text as it arrives. Retries with jittered,
    /// capped backoff on 429, 5xx and connection failures, honouring the upstream's `Retry-After`,
    /// but only until the first piece of text: after that a failure ends the answer. `arrived` is
    /// when the request reached the edge: the first attempt's wait for a slot counts from there.
    func complete(_ question: String, arrived: ContinuousClock.Instant = .now,
                  onDelta: @escaping @Sendable (String) async -> Void) async throws -> Completion {
        let deadline = ContinuousClock.now + settings.totalTimeout
        var attempt = 0
        while true {
            if case .open(let wait) = breaker.check() {
                Self.count("circuit_open")
                throw Failure.unavailable(retryAfter: wait)
            }
            let started = ContinuousClock.now
            let streamed = ManagedAtomic(false)
            do {
                let completion = try await gate.withSlot(arrived: attempt == 0 ? arrived : .now) {
                    try await Self.within(deadline) {
                        try await self.stream(question, deadline: deadline) { delta in
                            streamed.store(true, ordering: .relaxed)
                            await onDelta(delta)
                        }
                    }
                }
                breaker.succeeded()
                Self.count("ok")
                Timer(label: "gpt_upstream_duration_seconds").recordNanoseconds((ContinuousClock.now - started).nanoseconds)
                return completion
            } catch is UpstreamGate.Busy {
                Self.count("busy")
                throw Failure.busy
            } catch let error as Retryable {
                breaker.failed()
                Self.count(error.outcome)
                let backoff = Self.backoff(attempt: attempt, base: settings.retryBaseDelay, cap: settings.retryMaxDelay)
                let wait = max(backoff, error.retryAfter ?? .zero)
                attempt += 1
                guard !streamed.load(ordering: .relaxed), attempt <= settings.retries, ContinuousClock.now + wait < deadline else {
                    logger.warning("upstream failed", metadata: ["error": "\(error.reason)", "attempts": "\(attempt)"])
                    throw Failure.unavailable(retryAfter: max(error.retryAfter ?? .seconds(1), breaker.isOpen ? breaker.cooldown : .seconds(1)))
                }
                try await clock.sleep(for: wait)
            }
        }
    }

    /// Runs `body`, cancelling it at `deadline`: the whole answer, streamed body included, is
    /// bounded, not only the wait for its first byte.
    static func within<T: Sendable>(_ deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else {
                throw Retryable(description: "no answer before the deadline", outcome: "timeout", retryAfter: nil)
            }
            return value
        }
    }

    /// A failure worth another try, with the upstream's `Retry-After` when it sent one.
    struct Retryable: Error, CustomStringConvertible {
        var description: String
        var outcome: String
        var retryAfter: Duration?
    }

    private func stream(_ question: String, deadline: ContinuousClock.Instant, onDelta: @Sendable (String) async -> Void) async throws -> Completion {
        var messages: [[String: String]] = []
        if let system = settings.systemPrompt, !system.isEmpty { messages.append(["role": "system", "content": system]) }
        messages.append(["role": "user", "content": question])
        let body: [String: Any] = [
            "model": settings.model, "messages": messages, "max_tokens": settings.maxTokens,
            "stream": true, "stream_options": ["include_usage": true],
        ]
        let response: HTTPClientResponse
        do {
            response = try await http.execute(try request("chat/completions", json: body), deadline: Self.nioDeadline(deadline))
        } catch {
            throw Retryable(description: "\(error)", outcome: "connect_error", retryAfter: nil)
        }
        let status = Int(response.status.code)
        guard status == 200 else {
            let text = String(buffer: (try? await response.body.collect(upTo: 16 * 1024)) ?? ByteBuffer())
            let retryAfter = response.headers.first(name: "retry-after").flatMap(Int.init).map { Duration.seconds($0) }
            if status == 429 || status >= 500 {
                throw Retryable(description: "status \(status): \(text.prefix(200))", outcome: "status_\(status / 100)xx", retryAfter: retryAfter)
            }
            // A 4xx other than 429 is our request or key being refused: not worth a retry, and a
            // problem for the operator, so it is logged as an error.
            logger.error("upstream refused the request", metadata: ["status": "\(status)", "body": "\(text.prefix(300))"])
            Self.count("refused")
            throw Failure.unavailable(retryAfter: .seconds(30))
        }
        var parser = ServerSentEvents()
        var completion = Completion(text: "", finishReason: nil, promptTokens: 0, completionTokens: 0, model: settings.model)
        var chunks = 0
        do {
            for try await buffer in response.body {
                for data in try parser.feed(buffer) {
                    if data == "[DONE]" { return try Self.finished(completion, chunks: chunks) }
                    // An object with neither (an error object, say) is not a chunk of an answer.
                    guard let chunk = try? JSONDecoder().decode(Chunk.self, from: Data(data.utf8)),
                          chunk.choices != nil || chunk.usage != nil else { continue }
                    chunks += 1
                    if let model = chunk.model { completion.model = model }
                    if let usage = chunk.usage {
                        completion.promptTokens = usage.prompt_tokens ?? 0
                        completion.completionTokens = usage.completion_tokens ?? 0
                    }
                    for choice in chunk.choices ?? [] {
                        if let reason = choice.finish_reason { completion.finishReason = reason }
                        if let content = choice.delta?.content, !content.isEmpty {
                            completion.text += content
                            await onDelta(content)
                        }
                    }
                }
            }
        } catch {
            throw Retryable(description: "stream broke: \(error.reason)", outcome: "stream_error", retryAfter: nil)
        }
        // Ended without [DONE]: an answer with its finish reason is whole; one without was cut off.
        guard completion.finishReason != nil else {
            throw Retryable(description: chunks == 0 ? "the answer was not a stream of chunks" : "the stream ended before the answer did",
                            outcome: chunks == 0 ? "malformed" : "stream_error", retryAfter: nil)
        }
        return try Self.finished(completion, chunks: chunks)
    }

    /// A 200 whose body held not one chunk that could be read (an HTML page, bytes that are not
    /// UTF-8, a body that is not a stream) is a failure to retry, never an empty answer.
    private static func finished(_ completion: Completion, chunks: Int) throws -> Completion {
        guard chunks > 0 else {
            throw Retryable(description: "the answer was not a stream of chunks", outcome: "malformed", retryAfter: nil)
        }
        return completion
    }

    private struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
            var finish_reason: String?
        }
        struct Usage: Decodable {
            var prompt_tokens: Int?
            var completion_tokens: Int?
        }
        var model: String?
        var choices: [Choice]?
        var usage: Usage?
    }

    // MARK: Embeddings

    /// The question's embedding, or nil when the embeddings endpoint fails, is slow or is
    /// switched off by its breaker: the semantic layer is skipped, nothing else.
    func embedding(_ text: String) async -> [Float]? {
        guard case .allowed = embeddingBreaker.check() else { return nil }
        let started = ContinuousClock.now
        do {
            let deadline = ContinuousClock.now + settings.embeddingTimeout
            let response = try await http.execute(
                try request("embeddings", json: ["model": settings.embeddingModel, "input": text]), deadline: Self.nioDeadline(deadline))
            let body = try await response.body.collect(upTo: 4 << 20)
            guard response.status == .ok else { throw Retryable(description: "status \(response.status.code)", outcome: "error") }
            struct Reply: Decodable {
                struct Item: Decodable { var embedding: [Float] }
                var data: [Item]
            }
            guard let vector = try JSONDecoder().decode(Reply.self, from: Data(buffer: body)).data.first?.embedding, !vector.isEmpty else {
                throw Retryable(description: "no embedding in the reply", outcome: "error")
            }
            embeddingBreaker.succeeded()
            Timer(label: "gpt_embedding_duration_seconds").recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            return vector
        } catch {
            embeddingBreaker.failed()
            Counter(label: "gpt_embedding_failures_total").increment()
            logger.debug("embedding failed; semantic layer skipped", metadata: ["error": "\(error.reason)"])
            return nil
        }
    }

    // MARK: Plumbing

    private func request(_ path: String, json: [String: Any]) throws -> HTTPClientRequest {
        let base = settings.baseURL.hasSuffix("/") ? String(settings.baseURL.dropLast()) : settings.baseURL
        var request = HTTPClientRequest(url: "\(base)/\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = settings.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        return request
    }

    private static func nioDeadline(_ instant: ContinuousClock.Instant) -> NIODeadline {
        .now() + .nanoseconds(max(0, (instant - .now).nanoseconds))
    }

    /// Full jitter: a random wait up to the capped exponential step.
    static func backoff(attempt: Int, base: Duration, cap: Duration) -> Duration {
        let step = min(cap.seconds, base.seconds * Double(1 << min(attempt, 10)))
        return .milliseconds(Int64(Double.random(in: 0.5...1.0) * step * 1000))
    }

    private static func counter(_ outcome: String) -> Counter {
        Counter(label: "gpt_upstream_calls_total", dimensions: [("outcome", outcome)])
    }

    private static func count(_ outcome: String) { counter(outcome).increment() }
}
