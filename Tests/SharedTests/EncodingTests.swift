import Foundation
import Testing
@testable import Shared

@Suite struct EncodingTests {
    @Test func hexIsTwoLowerCaseDigitsPerByte() {
        #expect([UInt8]([0x00, 0x0F, 0xA5, 0xFF]).hexString == "000fa5ff")
        #expect([UInt8]().hexString == "")
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
