import Foundation

extension AuditEvent {
    /// `events` as the JSON a default `JSONEncoder` writes for `[AuditEvent]` (the same keys, the
    /// date as seconds since 2001-01-01, absent optionals left out), written directly: a batch of
    /// a thousand events is written for every second of cache hits, and the generic encoder cost
    /// the answering service more than the rest of a hit's bookkeeping.
    public static func jsonArray(_ events: [AuditEvent]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 400)
        out.append(UInt8(ascii: "["))
        for (index, event) in events.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            event.writeJSON(into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    func writeJSON(into out: inout [UInt8]) {
        out.append(contentsOf: #"{"eventID":"#.utf8)
        JSONString.write(eventID.uuidString, into: &out)
        out.append(contentsOf: #","occurredAt":"#.utf8)
        out.append(contentsOf: "\(occurredAt.timeIntervalSinceReferenceDate)".utf8)
        Self.writeField("actorID", actorID, into: &out)
        Self.writeField("action", action, into: &out)
        Self.writeField("targetType", targetType, into: &out)
        Self.writeField("targetID", targetID, into: &out)
        Self.writeField("clientAddress", clientAddress, into: &out)
        Self.writeField("userAgent", userAgent, into: &out)
        out.append(contentsOf: #","payload":{"#.utf8)
        for (index, key) in payload.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.write(key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONString.write(payload[key]!, into: &out)
        }
        out.append(contentsOf: "}}".utf8)
    }

    private static func writeField(_ name: String, _ value: String?, into out: inout [UInt8]) {
        guard let value else { return }
        out.append(UInt8(ascii: ","))
        JSONString.write(name, into: &out)
        out.append(UInt8(ascii: ":"))
        JSONString.write(value, into: &out)
    }
}
