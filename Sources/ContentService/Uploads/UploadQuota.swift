import Foundation
import HTTPTypes
import Shared

/// What one account may have on its way in and store in a day, and the room the media volume
/// keeps: every upload path asks it before a byte is written, so no account can fill the disk
/// and nobody's upload is cut off half-written by a full one.
struct UploadQuota: Sendable {
    /// Uploads open at once, resumable ones and one-request ones while they stream
    /// (`CONTENT_UPLOADS_OPEN_PER_USER`).
    var maxOpenUploads = 5
    /// Bytes promised by those uploads, received or not (`CONTENT_UPLOAD_BYTES_IN_FLIGHT_PER_USER`).
    var maxBytesInFlight: Int64 = 8 << 30
    /// Bytes of videos created in the last 24 hours plus those in flight (`CONTENT_UPLOAD_BYTES_PER_DAY_PER_USER`).
    var maxBytesPerDay: Int64 = 20 << 30
    /// The media volume keeps this much free after every upload it admits (`CONTENT_MEDIA_MIN_FREE_BYTES`).
    var minFreeBytes: Int64 = 1 << 30

    /// A user's uploads now: the open ones, the bytes they will hold, and the bytes of videos
    /// created in the last day.
    struct Usage: Sendable, Equatable {
        var openUploads = 0
        var bytesInFlight: Int64 = 0
        var bytesToday: Int64 = 0
    }

    /// Whether a new upload of `bytes` fits beside the owner's `usage`.
    func admit(_ bytes: Int64, usage: Usage) throws {
        if bytes > maxBytesPerDay || bytes > maxBytesInFlight {
            throw APIError(.contentTooLarge, code: "payload_too_large",
                           message: "The file exceeds what one account may upload (\(min(maxBytesPerDay, maxBytesInFlight)) bytes)")
        }
        if usage.openUploads >= maxOpenUploads {
            throw APIError.tooManyRequests(
                "You have \(usage.openUploads) unfinished uploads; finish or cancel one (DELETE /api/videos/uploads/{id}) first",
                code: "too_many_uploads", retryAfter: 60)
        }
        // Compared with what is left, counted without overflow whatever the numbers.
        if bytes > Self.left(maxBytesInFlight, usage.bytesInFlight) {
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
        throw StorageFull.refusal()
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
