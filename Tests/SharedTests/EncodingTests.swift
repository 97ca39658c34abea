import Crypto
import Foundation
import Testing
@testable import Shared

@Suite struct EncodingTests {
    @Test func hexIsTwoLowerCaseDigitsPerByte() {
        #expect([UInt8]([0x00, 0x0F, 0xA5, 0xFF]).hexString == "000fa5ff")
        #expect([UInt8]().hexString == "")
    }

    @Test func digestsInHexMatchTheirBytesInHex() {
        let digest = SHA256.hash(data: Data("abc".utf8))
        #expect(digest.hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest.hexString == Array(digest).hexString)
        #expect(Data([0xDE, 0xAD]).hexString == "dead")
        #expect([UInt8](0...255).hexString.count == 512)
    }

    @Test func whiteSpaceIsTrimmedByUnicodeAtBothEnds() {
        #expect("  \n\t 서울 날씨?\u{3000}\u{2028} ".trimmingWhitespace() == "서울 날씨?")
        #expect(" \u{00A0}\n ".trimmingWhitespace().isEmpty)
        #expect("a  b".trimmingWhitespace() == "a  b")
        #expect("".trimmingWhitespace() == "")
        #expect("x=1, y".split(separator: ",")[1].trimmingWhitespace() == "y")
    }

    @Test func base64URLRoundTripsWithoutPadding() {
        let data = Data([0xFB, 0xFF, 0xBF, 0x00, 0x01])
        #expect(data.base64URLEncodedString() == "-_-_AAE")
        #expect(Data(base64URL: "-_-_AAE") == data)
    }

    @Test func millisecondsRoundDown() {
        #expect(Date(timeIntervalSince1970: 1.9999).millisecondsSince1970 == 1999)
    }
}

@Suite struct TimeOrderedUUIDTests {
    @Test func carriesItsMillisecondVersionAndVariant() {
        let at = Date(timeIntervalSince1970: 1_796_000_000.123_9)
        let id = UUID.timeOrdered(at: at)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(milliseconds == 1_796_000_000_123)
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
        #expect(id.uuidString.lowercased().hasPrefix("01a2"))  // 1,796,000,000,123 ms is 0x01A2...
    }

    @Test func laterIdsSortLaterAndNoTwoAreAlike() {
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        // Ten milliseconds apart, so a time that rounds down a millisecond still sorts after the one before.
        let ids = (0..<1_000).map { UUID.timeOrdered(at: start.addingTimeInterval(Double($0) / 100)) }
        let texts = ids.map { $0.uuidString.lowercased() }
        #expect(texts == texts.sorted(), "not in time order")
        #expect(Set(ids).count == ids.count)
        let sameMillisecond = (0..<1_000).map { _ in UUID.timeOrdered(at: start) }
        #expect(Set(sameMillisecond).count == 1_000)
    }

    @Test func auditEventsGetTimeOrderedIdsUnlessGivenOne() {
        let at = Date(timeIntervalSince1970: 1_796_000_000)
        let event = AuditEvent(action: "gpt.asked", actorID: nil, occurredAt: at)
        #expect(withUnsafeBytes(of: event.eventID.uuid) { $0[6] >> 4 } == 7)
        #expect(event.eventID.uuidString.lowercased().hasPrefix(UUID.timeOrdered(at: at).uuidString.lowercased().prefix(12)))
        let given = UUID()
        #expect(AuditEvent(action: "x", actorID: nil, eventID: given).eventID == given)
    }
}
