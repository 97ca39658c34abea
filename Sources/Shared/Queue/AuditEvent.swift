import Foundation

/// Something that happened, for the analysts' `audit.events` table. Services enqueue these on the
/// `audit` queue in the same transaction as the change they describe.
public struct AuditEvent: Codable, Sendable, Equatable {
    public var eventID: UUID
    public var occurredAt: Date
    public var actorID: String?
    /// `user.signed_up`, `post.liked`, `video.played`, ...
    public var action: String
    public var targetType: String?
    public var targetID: String?
    public var clientAddress: String?
    public var userAgent: String?
    /// A JSON object with details; never a password or token.
    public var payload: [String: String]

    public init(
        action: String, actorID: String?, targetType: String? = nil, targetID: String? = nil,
        clientAddress: String? = nil, userAgent: String? = nil, payload: [String: String] = [:],
        eventID: UUID? = nil, occurredAt: Date = Date()
    ) {
        // Time-ordered by default: the primary key of `audit.events` is (event_id, occurred_at).
        self.eventID = eventID ?? .timeOrdered(at: occurredAt)
        self.occurredAt = occurredAt
        self.actorID = actorID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.clientAddress = clientAddress
        self.userAgent = userAgent.map { String($0.prefix(512)) }
        self.payload = payload
    }

    public static let queue = "audit"
    public static let kind = "audit.event"
    /// Many events in one job (`[AuditEvent]`), for sources of many events that follow no change
    /// of their own; ingestion is idempotent per event all the same.
    public static let batchKind = "audit.events"
}

extension NewJob {
    /// The job that records `event`; its unique key makes a repeated enqueue a no-op.
    public static func audit(_ event: AuditEvent) throws -> NewJob {
        try NewJob(queue: AuditEvent.queue, kind: AuditEvent.kind, payload: event, maxAttempts: 25,
                   uniqueKey: event.eventID.uuidString)
    }

    /// One job that records all of `events`.
    public static func audit(_ events: [AuditEvent]) -> NewJob {
        NewJob(queue: AuditEvent.queue, kind: AuditEvent.batchKind, json: AuditEvent.jsonArray(events), maxAttempts: 25,
               uniqueKey: events.first.map { "batch:\($0.eventID.uuidString):\(events.count)" })
    }
}
