import Foundation
import NIOCore
import Testing
@testable import ContentService

/// The multipart splitter and the container check, without a server.
@Suite struct UploadParsingTests {
    func split(_ body: String, boundary: String = "b0und", chunk: Int) throws -> (events: [String], complete: Bool) {
        var splitter = MultipartSplitter(boundary: boundary)
        var events: [String] = []
        var bytes = ByteBuffer(string: body)
        var current = ""
        while bytes.readableBytes > 0 {
            let piece = bytes.readSlice(length: min(chunk, bytes.readableBytes))!
            for event in try splitter.feed(piece) {
                switch event {
                case .part(let name, let filename): events.append("part \(name) \(filename ?? "-")")
                case .bytes(let data): current += String(buffer: data)
                case .partEnd: events.append("data \(current)"); current = ""
                }
            }
        }
        return (events, splitter.isComplete)
    }

    static let body = "preamble\r\n--b0und\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
        + "--b0und\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
        + "line one\r\n--b0un not yet\r\n\r\n--b0und--\r\n"

    @Test(arguments: [1, 2, 3, 7, 13, 64, 4096])
    func partsComeOutWhateverTheChunkSize(chunk: Int) throws {
        let (events, complete) = try split(Self.body, chunk: chunk)
        #expect(events == ["part title -", "data hello", "part file a.mp4", "data line one\r\n--b0un not yet\r\n"])
        #expect(complete)
    }

    @Test func aBodyWithoutItsClosingDelimiterIsIncomplete() throws {
        let cut = String(Self.body.prefix(Self.body.count - 20))
        #expect(try split(cut, chunk: 5).complete == false)
    }

    @Test func partHeadersAreBounded() {
        var splitter = MultipartSplitter(boundary: "b", maxHeaderBytes: 100)
        #expect(throws: MultipartSplitter.Malformed.self) {
            _ = try splitter.feed(ByteBuffer(string: "--b\r\nX-Long: " + String(repeating: "x", count: 200)))
        }
    }

    @Test func theBoundaryComesFromTheContentType() {
        #expect(MultipartSplitter.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartSplitter.boundary(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(MultipartSplitter.boundary(contentType: "application/json") == nil)
        #expect(MultipartSplitter.boundary(contentType: "multipart/form-data") == nil)
        #expect(MultipartSplitter.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
    }

    @Test func containersAreToldFromTheirFirstBytes() {
        let mp4: [UInt8] = [0, 0, 0, 32] + Array("ftypisom".utf8) + [0, 0, 2, 0]
        let mov: [UInt8] = [0, 0, 0, 20] + Array("ftypqt  ".utf8) + [0, 0, 0, 0]
        let webm: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84] + Array("webm".utf8)
        let mkv: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88] + Array("matroska".utf8)
        let avi: [UInt8] = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("AVI LIST".utf8)
        #expect(VideoContainer.sniff(mp4) == .mp4)
        #expect(VideoContainer.sniff(mov) == .mov)
        #expect(VideoContainer.sniff(webm) == .webm)
        #expect(VideoContainer.sniff(mkv) == .mkv)
        #expect(VideoContainer.sniff(avi) == .avi)
        #expect(VideoContainer.sniff(Array("RIFF\0\0\0\0WAVEfmt ".utf8)) == nil)
        #expect(VideoContainer.sniff(Array("<html><body>hello</body></html>".utf8)) == nil)
        #expect(VideoContainer.sniff([0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0]) == nil)
        #expect(VideoContainer.sniff(Array("ftyp".utf8)) == nil)
    }

    /// Found by fuzzing: headers of the largest allowed size, fed a byte at a time, were refused
    /// when a chunk ended inside their blank line, and accepted when fed whole.
    @Test func headersAtTheLimitAreAcceptedHoweverTheyAreChunked() throws {
        let name = "x"
        var headers = "Content-Disposition: form-data; name=\"\(name)\""
        headers += "; p=" + String(repeating: "a", count: 256 - headers.utf8.count - 4)
        #expect(headers.utf8.count == 256)
        let body = Array("--b\r\n\(headers)\r\n\r\nvalue\r\n--b--".utf8)
        for chunk in [1, 2, 3, 7, body.count] {
            var splitter = MultipartSplitter(boundary: "b", maxHeaderBytes: 256)
            var events: [MultipartSplitter.Event] = []
            var offset = 0
            while offset < body.count {
                let end = min(body.count, offset + chunk)
                events += try splitter.feed(ByteBuffer(bytes: body[offset..<end]))
                offset = end
            }
            #expect(splitter.isComplete, "chunks of \(chunk)")
            #expect(events.first == .part(name: name, filename: nil), "chunks of \(chunk)")
        }
    }

    @Test func theResumableMetadataHeaderIsDecoded() throws {
        let header = "title \(Data("여행 영상".utf8).base64EncodedString()),filename \(Data("a.mov".utf8).base64EncodedString()),is_confidential"
        let values = try TusHeaders.metadata(header)
        #expect(values == ["title": "여행 영상", "filename": "a.mov", "is_confidential": ""])
        #expect(throws: TusHeaders.Invalid.metadata) { try TusHeaders.metadata("title !!!notbase64") }
        #expect(throws: TusHeaders.Invalid.metadata) { try TusHeaders.metadata("title " + Data([0xFF, 0xFE]).base64EncodedString()) }
        #expect(throws: TusHeaders.Invalid.metadata) { try TusHeaders.metadata(String(repeating: "k v,", count: 2000)) }
    }

    /// Byte counts are plain decimals that fit an Int64: signs, spaces, 20 digits or Int64.max + 1
    /// are no count, never an overflow.
    @Test(arguments: [("0", Int64(0)), ("1048576", 1_048_576), ("9223372036854775807", .max), ("+5", nil), ("-1", nil), (" 5", nil),
                      ("5 ", nil), ("", nil), ("9223372036854775808", nil), ("99999999999999999999", nil), ("0x10", nil), ("١٢", nil)])
    func byteCountsArePlainDecimals(_ text: String, _ expected: Int64?) {
        #expect(TusHeaders.byteCount(text) == expected)
    }
}
