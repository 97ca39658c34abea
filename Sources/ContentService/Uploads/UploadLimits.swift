import Foundation
import Shared

/// What an upload may be: its size, its title, and how long an unfinished resumable one is kept.
struct UploadLimits: Sendable {
    var maxBytes: Int64 = 2 << 30
    /// A multipart body carries a little more than its file: the title and the part headers.
    var multipartOverheadBytes = 64 << 10
    /// A video's title and description, checked like a playlist's.
    var text = ItemText()
    /// How long a resumable upload may sit unfinished before its bytes are thrown away.
    var resumableExpiry: Duration = .seconds(24 * 3600)

    /// What nginx and the body-limit middleware let through on the upload routes.
    var maxRequestBytes: Int { Int(maxBytes) + multipartOverheadBytes }

    func tooLarge() -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", message: "The file exceeds \(maxBytes) bytes")
    }

    /// Why an upload stopped that the client's bytes decided.
    enum Refusal: Error {
        case notAVideo
    }

    static func unsupported() -> APIError {
        APIError(.unsupportedMediaType, code: "unsupported_media_type",
                 message: "The file is not a video container we accept (\(VideoContainer.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
}
