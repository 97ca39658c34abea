/// The containers an upload may be, told from its first bytes (never from the file name or the
/// client's Content-Type): ISO base media (MP4, M4V, QuickTime), Matroska/WebM, AVI.
enum VideoContainer: String, Sendable, CaseIterable {
    case mp4, mov, webm, mkv, avi

    /// How many leading bytes `sniff` needs to decide.
    static let sniffLength = 48

    /// The container of a file starting with `head`, or nil when it is none we accept.
    static func sniff(_ head: some Collection<UInt8>) -> VideoContainer? {
        let bytes = Array(head.prefix(sniffLength))
        guard bytes.count >= 12 else { return nil }
        // ISO BMFF: a box size, then "ftyp" and the major brand.
        if bytes[4..<8].elementsEqual("ftyp".utf8) {
            return bytes[8..<12].elementsEqual("qt  ".utf8) ? .mov : .mp4
        }
        // EBML header; the doc type (a few bytes in) says WebM or Matroska.
        if bytes[0..<4].elementsEqual([0x1A, 0x45, 0xDF, 0xA3]) {
            return contains(bytes, "webm") ? .webm : .mkv
        }
        if bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("AVI ".utf8) {
            return .avi
        }
        return nil
    }

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
