import CFuzzerDriver
import Foundation
import NIOCore

/// The executable's entry point (SwiftPM names it after the module): libFuzzer's driver, run with
/// the process's arguments and `fuzzOneInput`.
@_cdecl("ParserFuzz_main")
public func parserFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return fuzzOneInput(data, size)
    }
}

/// libFuzzer calls this with each input; `FUZZ_TARGET` says which parser gets it. Beyond "never
/// crashes", each target checks a property the parser promises, and traps when it breaks, which
/// libFuzzer reports with the input that did it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch FuzzTarget.current {
    case .multipart: FuzzTarget.multipart(bytes)
    case .tus: FuzzTarget.tus(bytes)
    case .cursor: FuzzTarget.cursor(bytes)
    case .question: FuzzTarget.question(bytes)
    case .guard: FuzzTarget.questionGuard(bytes)
    case .search: FuzzTarget.search(bytes)
    case .sse: FuzzTarget.sse(bytes)
    }
    return 0
}

enum FuzzTarget: String, CaseIterable {
    case multipart, tus, cursor, question, `guard`, search, sse

    static let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set FUZZ_TARGET to one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError(message()) }
    }

    /// The first byte picks a chunk size; the rest is a body under a fixed boundary. Fed whole or
    /// in chunks, the splitter must see the same parts, the same bytes and the same outcome.
    static func multipart(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        _ = MultipartSplitter.boundary(contentType: String(decoding: body.prefix(200), as: UTF8.self))
        func run(chunk: Int) -> (events: [String], failed: Bool, complete: Bool) {
            var splitter = MultipartSplitter(boundary: "fuzzboundary", maxHeaderBytes: 256)
            var events: [String] = []
            var data: [UInt8] = []
            func flushData() {
                if !data.isEmpty { events.append("bytes \(data)") }
                data.removeAll()
            }
            var offset = 0
            do {
                while offset < body.count {
                    let end = min(body.count, offset + chunk)
                    for event in try splitter.feed(ByteBuffer(bytes: body[offset..<end])) {
                        switch event {
                        case .bytes(let buffer): data.append(contentsOf: buffer.readableBytesView)
                        case .part(let name, let filename): flushData(); events.append("part \(name) \(filename ?? "-")")
                        case .partEnd: flushData(); events.append("end")
                        }
                    }
                    offset = end
                }
            } catch {
                flushData()
                return (events, true, splitter.isComplete)
            }
            flushData()
            return (events, false, splitter.isComplete)
        }
        let whole = run(chunk: max(1, body.count))
        let chunked = run(chunk: Int(first % 64) + 1)
        require(whole.failed == chunked.failed, "refused in one feeding and not the other")
        if !whole.failed {
            require(whole.events == chunked.events && whole.complete == chunked.complete, "chunking changed the parts")
        }
    }

    /// Byte counts are plain decimals that fit; metadata is bounded and its values are UTF-8.
    static func tus(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let count = TusHeaders.byteCount(text) {
            require(count >= 0 && text.utf8.allSatisfy { (0x30...0x39).contains($0) }, "a count that is not a plain decimal")
        }
        if let values = try? TusHeaders.metadata(text) {
            require(text.utf8.count <= TusHeaders.maxMetadataBytes, "metadata over the limit was read")
            require(values.values.allSatisfy { $0.utf8.count <= TusHeaders.maxMetadataBytes }, "a value larger than its header")
        }
    }

    /// A cursor's text splits into a payload and a 16-byte tag or nothing, and a payload reads
    /// back to the sort key it was made from.
    static func cursor(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let (payload, tag) = CursorText.split(text) {
            require(tag.count == 16 && text.utf8.count <= CursorText.maxLength, "a cursor outside its bounds was split")
            if let key = CursorText.position(payload) {
                require(CursorText.position(CursorText.encode(key)) == key, "a sort key that does not read back")
            }
        }
        _ = CursorText.position(Data(bytes))
    }

    /// Normalising is idempotent on what it produces, the lexical form is made of the tokens, and
    /// a question is always allowed to answer itself.
    static func question(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self).removingInvisibles()
        require(!text.unicodeScalars.contains { String.isInvisible($0) }, "an invisible character survived")
        let normalized = NormalizedQuestion(text)
        let form = LexicalForm(normalized)
        require(form.words.count <= normalized.tokens.count, "the lexical form has more words than the question")
        require(QuestionGuard.allows(cached: normalized, for: normalized), "a question does not answer itself")
        let cut = text.prefix(scalars: 100, bytes: 400)
        require(cut.unicodeScalars.count <= 100 && cut.utf8.count <= 400, "a prefix over its bounds")
    }

    /// Two questions split at the first NUL: the guard answers, symmetrically where the rules are.
    static func questionGuard(_ bytes: [UInt8]) {
        let split = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        let a = NormalizedQuestion(String(decoding: split.first ?? [], as: UTF8.self))
        let b = NormalizedQuestion(String(decoding: split.count > 1 ? split[1] : [], as: UTF8.self))
        let ab = QuestionGuard.allows(cached: a, for: b)
        let ba = QuestionGuard.allows(cached: b, for: a)
        require(ab == ba, "the guard is not symmetric")
        if QuestionGuard.symbols(of: a) != QuestionGuard.symbols(of: b) { require(!ab, "different numbers allowed") }
    }

    /// Tokens are bounded words, and the tsquery quotes every one of them.
    static func search(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for token in SearchTokenizer.keywordTokens(text) {
            require(!token.isEmpty && token.unicodeScalars.count <= SearchTokenizer.maxWordScalars, "a token out of bounds")
        }
        // Compared in bytes: a token may begin with a combining mark, which joins the quote's character.
        if let query = SearchTokenizer.query(text) { require(query.utf8.first == UInt8(ascii: "'"), "an unquoted tsquery") }
        // A trailing space changes at most whether the last term is a prefix, and only a word's.
        let typing = SearchTokenizer.keywordTerms(text), complete = SearchTokenizer.keywordTerms(text, lastWordComplete: true)
        require(typing.map(\.token) == complete.map(\.token), "a trailing space changed the tokens")
        require(typing.dropLast() == complete.dropLast(), "a prefix before the last term")
        require(!complete.contains { $0.isPrefix && $0.token.unicodeScalars.count > 1 }, "a prefix after a space")
    }

    /// Fed whole or a byte at a time, the same events; never more held than an event's worth.
    static func sse(_ bytes: [UInt8]) {
        func run(chunk: Int) -> [String]? {
            var parser = ServerSentEvents()
            var events: [String] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                guard let some = try? parser.feed(ByteBuffer(bytes: bytes[offset..<end])) else { return nil }
                events += some
                offset = end
            }
            return events
        }
        let whole = run(chunk: max(1, bytes.count))
        let split = run(chunk: 7)
        if let whole, let split { require(whole == split, "chunking changed the events") }
    }
}
