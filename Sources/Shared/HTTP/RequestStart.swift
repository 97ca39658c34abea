import Foundation

/// nginx's `X-Request-Start: t=<seconds since 1970, to the millisecond>`, stamped as it passes a
/// request on (`proxy_set_header X-Request-Start "t=${msec}"`): how long the request then waited
/// (the proxy hop, the service's listen queue, a busy event loop) before the service began on it.
/// A deadline counted from the edge includes that time, which the service cannot see otherwise.
public enum RequestStart {
    /// The longest wait believed: beyond it a clock is off, not a queue that long.
    static let plausible: Duration = .seconds(60)

    /// The time since `header`'s stamp, or nil when the header is missing, malformed or implausible.
    /// A stamp slightly in the future (the proxy's clock ahead) counts as no wait.
    public static func waited(header: String?, now: Date = Date()) -> Duration? {
        guard var text = header?.trimmingWhitespace(), !text.isEmpty else { return nil }
        if text.hasPrefix("t=") { text.removeFirst(2) }
        guard text.utf8.count <= 24, let stamp = Double(text), stamp.isFinite else { return nil }
        let seconds = now.timeIntervalSince1970 - stamp
        guard abs(seconds) <= Double(plausible.components.seconds) else { return nil }
        return .milliseconds(Int64((max(0, seconds) * 1000).rounded()))
    }
}
