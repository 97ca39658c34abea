import Foundation
import HTTPTypes
import Metrics
import NIOConcurrencyHelpers
import NIOPosix
import Shared

/// What one account may have on its way in and store in a day, and the room the media volume
/// keeps: every upload path asks it before a byte is written, so no account can fill the disk
/// and nobody's upload is cut off half-written by a full one.
struct UploadQuota: Sendable {
    /// Resumable uploads open at once (`CONTENT_UPLOADS_OPEN_PER_USER`).
    var maxOpenUploads = 5
    /// Bytes promised by those uploads, received or not (`CONTENT_UPLOAD_BYTES_IN_FLIGHT_PER_USER`).
    var maxBytesInFlight: Int64 = 8 << 30
    /// Bytes of videos created in the last 24 hours plus those in flight (`CONTENT_UPLOAD_BYTES_PER_DAY_PER_USER`).
    var maxBytesPerDay: Int64 = 20 << 30
    /// The media volume keeps this much free after every upload it admits (`CONTENT_MEDIA_MIN_FREE_BYTES`).
    var minFreeBytes: Int64 = 1 << 30

    /// A user's uploads now: open resumable ones, the bytes they will hold, and the bytes of
    /// videos created in the last day.
    struct Usage: Sendable, Equatable {
        var openUploads = 0
        var bytesInFlight: Int64 = 0
        var bytesToday: Int64 = 0
    }

    /// Whether a new upload of `bytes` fits; `resumable` uploads also count against the open ones.
    func admit(_ bytes: Int64, resumable: Bool, usage: Usage) throws {
        if bytes > maxBytesPerDay || (resumable && bytes > maxBytesInFlight) {
            throw APIError(.contentTooLarge, code: "payload_too_large",
                           message: "The file exceeds what one account may upload (\(min(maxBytesPerDay, maxBytesInFlight)) bytes)")
        }
        if resumable, usage.openUploads >= maxOpenUploads {
            throw APIError.tooManyRequests(
                "You have \(usage.openUploads) unfinished uploads; finish or cancel one (DELETE /api/videos/uploads/{id}) first",
                code: "too_many_uploads", retryAfter: 60)
        }
        // Compared with what is left, counted without overflow whatever the numbers.
        if resumable, bytes > Self.left(maxBytesInFlight, usage.bytesInFlight) {
            throw APIError.tooManyRequests("Your unfinished uploads already hold \(usage.bytesInFlight) of \(maxBytesInFlight) bytes",
                                           code: "upload_bytes_in_flight", retryAfter: 60)
        }
        if bytes > Self.left(Self.left(maxBytesPerDay, usage.bytesToday), usage.bytesInFlight) {
            throw APIError.tooManyRequests("You have uploaded \(usage.bytesToday) of \(maxBytesPerDay) bytes in the last 24 hours",
                                           code: "daily_upload_limit", retryAfter: 3600)
        }
    }

    /// Whether `bytes` more fit on a volume with `free` bytes left (nil: unknown, allowed).
    func checkSpace(for bytes: Int64, free: Int64?) throws {
        guard let free, bytes > Self.left(free, minFreeBytes) else { return }
        throw APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code: "insufficient_storage",
                       message: "The server is short of space for this upload; try again later", headers: [.retryAfter: "300"])
    }
}

extension UploadQuota {
    /// `total - used`, never below `Int64.min` nor above `Int64.max`: a limit's arithmetic must
    /// not trap on extreme settings or sums.
    static func left(_ total: Int64, _ used: Int64) -> Int64 {
        let (difference, overflow) = total.subtractingReportingOverflow(used)
        guard overflow else { return difference }
        return used < 0 ? .max : .min
    }
}

/// Free bytes on the media volume, as an unprivileged process may use them: read by a periodic
/// task off the event loops (a hung network mount must not stall a request), kept for the upload
/// routes to compare with, and exported as `content_media_free_bytes`.
final class MediaVolume: Sendable {
    let root: URL
    private let latest: NIOLockedValueBox<Int64?>
    private let gauge = Gauge(label: "content_media_free_bytes")

    /// Reads the volume once, at start-up, so the first upload has a figure.
    init(root: URL) {
        self.root = root
        latest = NIOLockedValueBox(Self.read(root))
        if let free = latest.withLockedValue({ $0 }) { gauge.record(free) }
    }

    /// The free bytes at the last reading; nil when the volume cannot be read.
    var freeBytes: Int64? { latest.withLockedValue { $0 } }

    func refresh() async throws {
        let free = try await NIOThreadPool.singleton.runIfActive { [root] in Self.read(root) }
        latest.withLockedValue { $0 = free }
        if let free { gauge.record(free) }
    }

    private static func read(_ root: URL) -> Int64? {
        var stats = statvfs()
        guard statvfs(root.path, &stats) == 0 else { return nil }
        let (bytes, overflow) = Int64(stats.f_bavail).multipliedReportingOverflow(by: Int64(stats.f_frsize))
        return overflow ? Int64.max : bytes
    }
}
