import Foundation
import Metrics
import NIOConcurrencyHelpers
import NIOPosix
import Shared

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

    private static func read(_ root: URL) -> Int64? { MediaLayout.freeBytes(under: root) }
}
