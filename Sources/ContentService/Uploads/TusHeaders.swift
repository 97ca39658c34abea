import Foundation

/// The tus headers a client sends, read as outside bytes: a byte count is a plain non-negative
/// decimal (no sign, no spaces, at most 19 digits), and `Upload-Metadata` is comma-separated
/// `key base64value` pairs of bounded size whose values are UTF-8.
enum TusHeaders {
    /// The most `Upload-Metadata` looked at: a title and a file name fit many times over.
    static let maxMetadataBytes = 4096

    enum Invalid: Error, Equatable {
        case metadata
    }

    /// `Upload-Length` or `Upload-Offset`, or nil for anything but a plain count.
    static func byteCount(_ header: String?) -> Int64? {
        guard let header, (1...19).contains(header.utf8.count), header.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int64(header)
    }

    /// The metadata's pairs; a key without a value maps to "".
    static func metadata(_ header: String) throws -> [String: String] {
        guard header.utf8.count <= maxMetadataBytes else { throw Invalid.metadata }
        var values: [String: String] = [:]
        for pair in header.split(separator: ",") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            guard let key = parts.first else { continue }
            guard parts.count == 2 else {
                values[String(key)] = ""
                continue
            }
            guard let data = Data(base64Encoded: String(parts[1])), let value = String(data: data, encoding: .utf8) else {
                throw Invalid.metadata
            }
            values[String(key)] = value
        }
        return values
    }
}
