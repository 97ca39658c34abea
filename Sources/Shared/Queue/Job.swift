import Foundation

/// A job to enqueue.
public struct NewJob: Sendable {
    public var queue: String
    public var kind: String
    /// JSON text.
    public var payload: String
    public var priority: Int16
    public var runAfter: Duration
    public var maxAttempts: Int32
    /// While a job with this key waits or runs in the same queue, enqueueing another is a no-op.
    /// An empty key means none.
    public var uniqueKey: String?

    public init(
        queue: String, kind: String, payload: some Encodable, priority: Int16 = 0, runAfter: Duration = .zero,
        maxAttempts: Int32 = 10, uniqueKey: String? = nil
    ) throws {
        self.init(queue: queue, kind: kind, json: String(decoding: try JSONEncoder().encode(payload), as: UTF8.self), priority: priority,
                  runAfter: runAfter, maxAttempts: maxAttempts, uniqueKey: uniqueKey)
    }

    /// A job whose payload is already JSON text.
    public init(queue: String, kind: String, json: String, priority: Int16 = 0, runAfter: Duration = .zero,
                maxAttempts: Int32 = 10, uniqueKey: String? = nil) {
        self.queue = queue
        self.kind = kind
        self.payload = json
        self.priority = priority
        self.runAfter = runAfter
        self.maxAttempts = maxAttempts
        self.uniqueKey = uniqueKey
    }
}

/// A job a worker holds: its lease is good while `attempt` matches and the lease has not run out.
public struct ClaimedJob: Sendable, Identifiable {
    public var id: Int64
    public var queue: String
    public var kind: String
    public var payload: String
    /// 1 for the first run.
    public var attempt: Int32
    public var maxAttempts: Int32
    public var createdAt: Date
    /// When it became runnable: enqueue time, or the end of its backoff.
    public var runAt: Date

    /// The payload as `type`; one that does not decode is a permanent failure (retrying the same
    /// bytes cannot help).
    public func decodePayload<T: Decodable>(as type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(payload.utf8))
        } catch {
            throw JobFailure("\(kind) payload does not decode as \(T.self): \(error)", permanent: true)
        }
    }

    public var isLastAttempt: Bool { attempt >= maxAttempts }
}

/// A dead job as operators see it.
public struct DeadJob: Sendable, Codable {
    public var id: Int64
    public var queue: String
    public var kind: String
    public var payload: String
    public var attempts: Int32
    public var errors: String
    public var diedAt: Date
}

/// What a handler says when a job fails.
public struct JobFailure: Error, CustomStringConvertible {
    public var message: String
    /// Retrying cannot help (a 5xx SMTP answer, a file that is not a video): dead at once.
    public var permanent: Bool

    /// When to try again instead of the backoff's delay.
    public var retryIn: Duration?
    /// False when the cause lies outside the job (the media volume full): the attempt is given
    /// back, so an outage of its own cannot make a job dead however long it lasts.
    public var spendsAttempt = true

    public init(_ message: String, permanent: Bool = false) {
        self.message = message
        self.permanent = permanent
    }

    /// Not now, through no fault of the job's: tried again after `retryIn`, the attempt not counted.
    public static func notNow(_ message: String, retryIn: Duration) -> JobFailure {
        var failure = JobFailure(message)
        failure.retryIn = retryIn
        failure.spendsAttempt = false
        return failure
    }

    /// Whether this failure makes the job dead, on the attempt `job` is making.
    public func kills(_ job: ClaimedJob) -> Bool { permanent || (job.isLastAttempt && spendsAttempt) }

    public var description: String { message }
}

/// Capped exponential backoff with ±10% jitter: 2, 4, 8 … seconds, at most `cap`.
public struct Backoff: Sendable {
    public var base: Duration = .seconds(1)
    public var cap: Duration = .seconds(3600)

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(3600)) {
        self.base = base
        self.cap = cap
    }

    public func delay(afterAttempt attempt: Int32) -> Duration {
        let exponent = Double(min(attempt, 30))
        let seconds = min(base.seconds * pow(2, exponent), cap.seconds)
        return .milliseconds(Int64(seconds * Double.random(in: 0.9...1.1) * 1000))
    }
}
