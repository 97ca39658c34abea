import Foundation
import Testing
@testable import Shared

@Suite struct AuditEventJSONTests {
    /// The hand-written batch is what `JSONDecoder` reads as `[AuditEvent]`: every field, every
    /// escape, absent optionals, exact dates.
    @Test func aBatchDecodesBackToTheSameEvents() throws {
        let events = [
            AuditEvent(action: "gpt.asked", actorID: "u1", targetType: "question", targetID: "d1", clientAddress: "::1",
                       userAgent: "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{00}",
                       payload: ["question": "서울 날씨 🌧️", "source": "exact", "": "empty key"],
                       occurredAt: Date(timeIntervalSince1970: 1_796_000_000.123456)),
            AuditEvent(action: "search.performed", actorID: nil),
            AuditEvent(action: "a", actorID: "", payload: [:], occurredAt: Date(timeIntervalSinceReferenceDate: 0)),
            AuditEvent(action: "old", actorID: nil, occurredAt: Date(timeIntervalSince1970: 12.5)),
        ]
        let json = AuditEvent.jsonArray(events)
        let decoded = try JSONDecoder().decode([AuditEvent].self, from: Data(json.utf8))
        #expect(decoded == events)
        // Absent optionals are left out, as the synthesised encoder does.
        #expect(!json.contains("null"))
        #expect(AuditEvent.jsonArray([]) == "[]")
    }

    @Test func aBatchJobCarriesTheEventsAndAKeyFromTheFirst() throws {
        let events = (0..<3).map { AuditEvent(action: "x.y", actorID: "u\($0)") }
        let job = NewJob.audit(events)
        #expect(job.kind == AuditEvent.batchKind && job.queue == AuditEvent.queue)
        #expect(job.uniqueKey == "batch:\(events[0].eventID.uuidString):3")
        #expect(try JSONDecoder().decode([AuditEvent].self, from: Data(job.payload.utf8)) == events)
    }
}
