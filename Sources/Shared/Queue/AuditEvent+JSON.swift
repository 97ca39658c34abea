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
        Self.writeString(eventID.uuidString, into: &out)
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
            Self.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            Self.writeString(payload[key]!, into: &out)
        }
        out.append(contentsOf: "}}".utf8)
    }

    private static func writeField(_ name: String, _ value: String?, into out: inout [UInt8]) {
        guard let value else { return }
        out.append(UInt8(ascii: ","))
        writeString(name, into: &out)
        out.append(UInt8(ascii: ":"))
        writeString(value, into: &out)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string: quotes, backslashes and control characters escaped, everything else as UTF-8.
    static func writeString(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
