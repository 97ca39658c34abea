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
