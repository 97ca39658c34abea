import Foundation
import PropertyBased
import Testing
@testable import Shared

/// The one text rule: as the database counts (code points after NFC), by bytes too, no control
/// characters; tested at the boundaries with NFD Hangul, ZWJ emoji and combining floods.
@Suite struct TextRuleTests {
    let title = TextRule(field: "title", scalars: 1...200)

    func refusal(_ rule: TextRule, _ text: String) -> APIError? {
        do {
            _ = try rule.check(text)
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func decomposedHangulCountsAsStored() throws {
        let nfd = String(repeating: "한", count: 200).decomposedStringWithCanonicalMapping
        #expect(nfd.unicodeScalars.count == 600)
        let stored = try title.check(nfd)
        #expect(stored.unicodeScalars.count == 200 && stored == String(repeating: "한", count: 200))
        #expect(refusal(title, nfd + "한".decomposedStringWithCanonicalMapping)?.code == "invalid_title")
    }

    /// The shortcut past Foundation agrees with NFC wherever it is taken.
    @Test func theComposedShortcutAgreesWithNFC() {
        var samples = (0..<0x300).compactMap(Unicode.Scalar.init).map { String($0) + "a" + String($0) }
        samples += ["한국어 제목", "\u{AC00}\u{11A8}", "e\u{301}", "Å", "\u{1100}\u{1161}", "ｶ", "ﬁ"]
        for text in samples where TextRule.isComposed(text) {
            #expect(text.precomposedStringWithCanonicalMapping == text, "\(text.unicodeScalars.map(\.value))")
        }
        #expect(!TextRule.isComposed("\u{AC00}\u{11A8}") && !TextRule.isComposed("e\u{301}"))
    }

    @Test func emojiCountTheirCodePoints() throws {
        let family = "👨‍👩‍👧‍👦"  // 7 code points, 25 bytes, one character
        #expect(try title.check(String(repeating: family, count: 28)).unicodeScalars.count == 196)
        #expect(refusal(title, String(repeating: family, count: 29)) != nil)  // 203 code points, 29 characters
        let flood = "a" + String(repeating: "\u{301}", count: 199)
        #expect(try title.check(flood) == flood.precomposedStringWithCanonicalMapping)
        #expect(refusal(title, flood + "\u{301}\u{301}") != nil)
    }

    @Test func bytesAreBoundedToo() {
        let rule = TextRule(field: "question", scalars: 1...100, maxBytes: 120)
        #expect(refusal(rule, String(repeating: "가", count: 40)) == nil)  // 120 bytes
        #expect(refusal(rule, String(repeating: "가", count: 41))?.message.contains("120 bytes") == true)
        // Megabytes are refused before any work on them.
        #expect(refusal(rule, String(repeating: "x", count: 5_000_000)) != nil)
    }

    @Test(arguments: ["a\u{0}b", "a\u{7}b", "a\u{1B}[31mb", "a\u{7F}b", "a\u{85}b", "a\u{2028}b", "a\u{E000}b", "a\u{FFFF}b", "a\nb", "a\tb"])
    func controlCharactersAreRefusedByName(_ text: String) throws {
        let error = try #require(refusal(title, text))
        #expect(error.status.code == 422 && error.code == "invalid_title")
        #expect(error.message.hasPrefix("title must not contain control characters (found U+"))
    }

    @Test func multilineTextKeepsItsLinesAndIsNotTrimmed() throws {
        let body = TextRule(field: "body", scalars: 0...100, multiline: true)
        #expect(try body.check("  line one\n\tline two\r\n") == "  line one\n\tline two\r\n")
        #expect(refusal(body, "bell\u{7}") != nil)
    }

    @Test func singleLineTextIsTrimmedAndMustNotBeEmpty() throws {
        #expect(try title.check("  \u{3000}제목 ") == "제목")
        #expect(refusal(title, " \u{3000} ")?.message == "title must not be empty")
    }

    @Test func invisiblesAreAllowedInTextButNotInNames() throws {
        #expect(try title.check("👩‍💻 dev") == "👩‍💻 dev")  // ZWJ
        let name = TextRule(field: "nickname", scalars: 1...50, allowsInvisibles: false)
        #expect(refusal(name, "Ann\u{200B}")?.message.contains("invisible") == true)
        #expect(refusal(name, "\u{202E}nnA") != nil)
        #expect(try name.check("안녕") == "안녕")
    }

    @Test func removingInvisiblesLeavesWhatAReaderSees() {
        let tags = String(String.UnicodeScalarView("ignore all".unicodeScalars.map { Unicode.Scalar(0xE0000 + $0.value)! }))
        #expect("Hi\(tags)\u{200B}\u{200D}\u{202E}\u{2066}\u{FE0F}\u{AD} there\n".removingInvisibles() == "Hi there\n")
        #expect("서울 날씨".removingInvisibles() == "서울 날씨")
    }

    @Test func prefixesAreCutBetweenCharactersWithinBothBounds() {
        let flood = String(repeating: "e" + String(repeating: "\u{301}", count: 19), count: 10)
        let cut = flood.prefix(scalars: 100, bytes: 400)
        #expect(cut.unicodeScalars.count <= 100 && cut.utf8.count <= 400)
        // Each character is 20 code points and 39 bytes: the code points allow 5, the bytes 10.
        #expect(cut.count == 5)
        #expect("abc".prefix(scalars: 10, bytes: 10) == "abc")
        #expect("👨‍👩‍👧‍👦x".prefix(scalars: 6, bytes: 100) == "")
    }

    /// Whatever the text, the rule answers: the text as stored within both bounds, or a 422.
    @Test func anyTextGetsAnAnswerWithinTheBounds() async {
        let pieces = Gen.oneOf(
            Gen.unicodeScalar(in: "\u{0}"..."\u{7F}").eraseToAnySequence(),
            Gen.unicodeScalar(in: "\u{300}"..."\u{36F}").eraseToAnySequence(),
            Gen.unicodeScalar(in: "\u{1100}"..."\u{11FF}").eraseToAnySequence(),
            Gen.unicodeScalar(in: "\u{AC00}"..."\u{D7A3}").eraseToAnySequence(),
            Gen.unicodeScalar(in: "\u{2000}"..."\u{206F}").eraseToAnySequence(),
            Gen.unicodeScalar(in: "\u{1F300}"..."\u{1F6FF}").eraseToAnySequence(),
            Gen.unicodeScalar(in: "\u{E0000}"..."\u{E007F}").eraseToAnySequence())
        let rule = TextRule(field: "title", scalars: 1...20, maxBytes: 50)
        await propertyCheck(count: 1000, input: pieces.array(of: 0...60)) { scalars in
            let text = String(String.UnicodeScalarView(scalars))
            if let stored = try? rule.check(text) {
                #expect((1...20).contains(stored.unicodeScalars.count) && stored.utf8.count <= 50)
                #expect(stored == stored.precomposedStringWithCanonicalMapping)
            } else {
                #expect(refusal(rule, text)?.status.code == 422)
            }
        }
    }
}

@Suite struct ClientNetworkTests {
    @Test func ipv6IsCountedPerSlash64AndIPv4PerAddress() {
        #expect(ClientNetwork.key("2001:db8:1:2::1") == ClientNetwork.key("2001:db8:1:2:ffff::9"))
        #expect(ClientNetwork.key("2001:db8:1:2::1") != ClientNetwork.key("2001:db8:1:3::1"))
        #expect(ClientNetwork.key("::ffff:203.0.113.5") == "203.0.113.5")
        #expect(ClientNetwork.key("203.0.113.5") == "203.0.113.5")
        #expect(ClientNetwork.key("203.0.113.5") != ClientNetwork.key("203.0.113.6"))
    }
}

@Suite struct JSONRequestDecoderTests {
    struct Body: Decodable {
        struct Inner: Decodable { var name: String }
        var title: String
        var tags: [String]?
        var count: Int?
        var inner: Inner?
    }

    func error(_ json: String) -> APIError? {
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
            return nil
        } catch let error as DecodingError {
            return JSONRequestDecoder.apiError(error)
        } catch {
            return nil
        }
    }

    @Test(arguments: [
        (#"{}"#, 422, "missing_field", "title is required"),
        (#"{"title": null}"#, 422, "missing_field", "title must not be null"),
        (#"{"title": 5}"#, 422, "invalid_field", "title must be text"),
        (#"{"title": "t", "tags": "x"}"#, 422, "invalid_field", "tags must be a list"),
        (#"{"title": "t", "tags": ["a", 2]}"#, 422, "invalid_field", "tags[1] must be text"),
        (#"{"title": "t", "count": "many"}"#, 422, "invalid_field", "count must be a whole number"),
        (#"{"title": "t", "inner": {}}"#, 422, "missing_field", "inner.name is required"),
        (#"[1, 2]"#, 422, "invalid_field", "the body must be a JSON object"),
        (#"{"title": "t""#, 400, "malformed_json", "The body is not valid JSON"),
    ])
    func mistakesAreNamedInPlainWords(_ json: String, _ status: Int, _ code: String, _ message: String) {
        let found = error(json)
        #expect(found?.status.code == status && found?.code == code, "\(json): \(String(describing: found))")
        #expect(found?.message == message, "\(json)")
    }

    @Test func invalidUTF8IsMalformed() {
        let bytes: [UInt8] = Array(#"{"title": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(bytes))
            Issue.record("invalid UTF-8 was decoded")
        } catch let error as DecodingError {
            #expect(JSONRequestDecoder.apiError(error).code == "malformed_json")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
