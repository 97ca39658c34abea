import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shared

/// `POST /api/gpt/qna` and `GET /api/gpt/quota`.
struct QnAController: Sendable {
    let answerer: QuestionAnswerer
    let quota: DailyQuota
    let ledger: UsageLedger
    let addresses: AddressDigest
    let questionRule: TextRule

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("qna", use: ask)
        group.get("quota", use: quotaStatus)
    }

    struct AskRequest: Decodable {
        var question: String
        var stream: Bool?
    }

    struct AnswerBody: Codable, Equatable {
        var answer: String
        var cached: Bool
        var source: String
        var model: String
    }

    struct QuotaBody: ResponseEncodable {
        var limit: Int?
        var used: Int
        var remaining: Int?
        var resetAt: Date
        /// The zone whose midnight `resetAt` is (an IANA name), for a client to show it as such.
        var timeZone: String

        enum CodingKeys: String, CodingKey { case limit, used, remaining, resetAt, timeZone }

        /// `null` for an unlimited tier rather than a missing key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(limit, forKey: .limit)
            try container.encode(used, forKey: .used)
            try container.encode(remaining, forKey: .remaining)
            try container.encode(resetAt, forKey: .resetAt)
            try container.encode(timeZone, forKey: .timeZone)
        }
    }

    @Sendable func quotaStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let status = try await quota.status(of: QuotaSubject(identity: context.identity, clientAddress: context.clientAddress, addresses: addresses))
        var response = try QuotaBody(limit: status.limit, used: status.used, remaining: status.remaining, resetAt: status.resetAt,
                                     timeZone: quota.day.timeZone.identifier)
            .response(from: request, context: context)
        response.headers.append(contentsOf: Self.rateLimitHeaders(status))
        return response
    }

    @Sendable func ask(_ request: Request, context: AppRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let body = try await request.decode(as: AskRequest.self, context: context)
        // What is asked upstream is exactly what the cache keys cover: characters a reader cannot
        // see (a hidden prompt in Unicode tag characters, say) are gone before either.
        let question = try questionRule.check(body.question).removingInvisibles().trimmingWhitespace()
        guard !question.isEmpty else { throw APIError.invalid("question is empty", code: "invalid_question") }
        let streaming = body.stream == true || request.headers[.accept]?.contains("text/event-stream") == true
        let useCache = !(request.headers[.cacheControl]?.lowercased().contains("no-cache") ?? false)
        let subject = QuotaSubject(identity: context.identity, clientAddress: context.clientAddress, addresses: addresses)
        let normalized = NormalizedQuestion(question)
        let keys = answerer.keys(for: normalized, upstream: question)
        let asked = Asked(question: question, normalized: normalized.text, digest: keys.digest, subject: subject,
                          started: started, request: request, context: context)

        let reply: QuestionAnswerer.Reply
        do {
            reply = try await answerer.ask(question, normalized: normalized, keys: keys, subject: subject, useCache: useCache,
                                           arrived: context.arrived, late: context.late, streaming: streaming)
        } catch let failure as AskFailure {
            throw try await withRateLimitHeaders(failure.apiError, subject: subject, failure: failure)
        }
        switch reply {
        case .cached(let answer, let read):
            let status: DailyQuota.Status
            if let read { status = read } else { status = try await quota.status(of: subject) }
            let headers = Self.rateLimitHeaders(status)
            ledger.record(answer, asked)
            return streaming ? sse(headers: headers, first: .finished(.answered(answer, finishReason: "stop")), rest: nil, follower: false)
                : try json(answer, headers: headers)
        case .flight(let flight, let updates, let leader, let charged):
            // The ledger hears the outcome where it is decided, whether or not this client stays
            // to read it: the quota, the budget and the upstream are charged either way.
            let following = asked.following(!leader)
            flight.whenFinished { [ledger] outcome in
                if let answer = try? Self.answer(from: outcome, follower: !leader) { ledger.record(answer, following) }
            }
            let status: DailyQuota.Status
            if let charged { status = charged } else { status = try await quota.status(of: subject) }
            let headers = Self.rateLimitHeaders(status)
            var iterator = updates.makeAsyncIterator()
            let first = await iterator.next()
            if streaming, case .delta = first {
                return sse(headers: headers, first: first!, rest: updates, follower: !leader)
            }
            // Not streaming, or over before it began: wait for the outcome.
            var update = first
            while let current = update, case .delta = current { update = await iterator.next() }
            guard case .finished(let outcome) = update else { throw AskFailure.upstreamUnavailable(retryAfter: .seconds(1)) }
            let answer = try Self.answer(from: outcome, follower: !leader)
            return streaming ? sse(headers: headers, first: .finished(outcome), rest: nil, follower: !leader) : try json(answer, headers: headers)
        }
    }

    /// The caller's answer from a flight's outcome: the leader's own source, `merged` for followers.
    static func answer(from outcome: Flight.Outcome, follower: Bool) throws -> Answer {
        switch outcome {
        case .answered(var answer, _):
            if follower {
                answer.source = .merged
                answer.cost = 0
                answer.promptTokens = 0
                answer.completionTokens = 0
            }
            return answer
        case .failed(let failure): throw failure
        case .retry: throw AskFailure.overloaded
        }
    }

    private func json(_ answer: Answer, headers: HTTPFields) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: Self.answerJSON(answer))))
    }

    /// `AnswerBody` as JSON, written directly: every cache hit sends one, and `JSONEncoder` was a
    /// noticeable part of a hit's cost.
    static func answerJSON(_ answer: Answer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(answer.text.utf8.count + answer.model.utf8.count + 64)
        out.append(contentsOf: #"{"answer":"#.utf8)
        JSONString.write(answer.text, into: &out)
        out.append(contentsOf: (answer.source.isCached ? #","cached":true,"source":"# : #","cached":false,"source":"#).utf8)
        JSONString.write(answer.source.rawValue, into: &out)
        out.append(contentsOf: #","model":"#.utf8)
        JSONString.write(answer.model, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Server-sent events: `data: {"delta": "..."}` as the text comes, then `event: done` with the
    /// whole answer, or `event: error` if the upstream fails half-way. The ledger is not written
    /// here: a client that hangs up would take its record with it.
    private func sse(headers: HTTPFields, first: Flight.Update, rest: AsyncStream<Flight.Update>?, follower: Bool) -> Response {
        var fields = headers
        fields[.contentType] = "text/event-stream; charset=utf-8"
        fields[.cacheControl] = "no-cache"
        fields[HTTPField.Name("X-Accel-Buffering")!] = "no"  // nginx passes each event on at once
        return Response(status: .ok, headers: fields, body: ResponseBody { writer in
            var update: Flight.Update? = first
            var iterator = rest?.makeAsyncIterator()
            while let current = update {
                switch current {
                case .delta(let text):
                    try await writer.write(Self.event(data: ["delta": text]))
                case .finished(let outcome):
                    do {
                        let answer = try Self.answer(from: outcome, follower: follower)
                        if rest == nil, !answer.text.isEmpty {
                            // A cached or already finished answer: its text in one event.
                            try await writer.write(Self.event(data: ["delta": answer.text]))
                        }
                        let done = AnswerBody(answer: answer.text, cached: answer.source.isCached, source: answer.source.rawValue, model: answer.model)
                        try await writer.write(Self.event(name: "done", data: done))
                    } catch let failure as AskFailure {
                        let error = failure.apiError
                        try await writer.write(Self.event(name: "error", data: ["error": ["code": error.code, "message": error.message]]))
                    }
                    try await writer.finish(nil)
                    return
                }
                update = await iterator?.next()
            }
            try await writer.finish(nil)
        })
    }

    private static func event(name: String? = nil, data: some Encodable) throws -> ByteBuffer {
        var text = name.map { "event: \($0)\n" } ?? ""
        text += "data: " + String(decoding: try JSONEncoder().encode(data), as: UTF8.self) + "\n\n"
        return ByteBuffer(string: text)
    }

    // MARK: Rate-limit headers

    /// `X-RateLimit-Limit` and `-Remaining` (left out for unlimited tiers) and `-Reset`, the Unix
    /// time in seconds when the day's count starts again.
    static func rateLimitHeaders(_ status: DailyQuota.Status) -> HTTPFields {
        var fields = HTTPFields()
        if let limit = status.limit, let remaining = status.remaining {
            fields[.rateLimitLimit] = String(limit)
            fields[.rateLimitRemaining] = String(remaining)
        }
        fields[.rateLimitReset] = String(Int(status.resetAt.timeIntervalSince1970))
        return fields
    }

    private func withRateLimitHeaders(_ error: APIError, subject: QuotaSubject, failure: AskFailure) async throws -> APIError {
        var error = error
        let status: DailyQuota.Status? = if case .quotaExceeded(let status, _) = failure { status } else { try? await quota.status(of: subject) }
        if let status { error.headers.append(contentsOf: Self.rateLimitHeaders(status)) }
        return error
    }
}

/// One question as the ledger records it.
struct Asked: Sendable {
    var question: String
    /// The normalised question and its digest, as the cache keys them.
    var normalized: String
    var digest: String
    var subject: QuotaSubject
    var started: ContinuousClock.Instant
    var request: Request
    var context: AppRequestContext
    /// Whether the answer came from another caller's upstream call.
    var follower = false

    func following(_ follower: Bool) -> Asked {
        var copy = self
        copy.follower = follower
        return copy
    }
}
