import Foundation

/// nginx's `X-Request-Start: t=<seconds since 1970, to the millisecond>`, stamped as it passes a
/// request on (`proxy_set_header X-Request-Start "t=${msec}"`): how long the request then waited
/// (the proxy hop, the service's listen queue, a busy event loop) before the service began on it.
/// A deadline counted from the edge includes that time, which the service cannot see otherwise.
public enum RequestStart {
    /// The largest gap believed: beyond it the stamp is garbage, not a clock that is off.
    static let plausible: Double = 3600

    /// Seconds from `header`'s stamp to `now` by this host's clock (negative when the stamp is
    /// ahead of it), or nil when the header is missing, malformed or implausible. It is the wait
    /// plus the difference of the two clocks; `ClockOffset` takes the difference out.
    public static func gap(header: String?, now: Date = Date()) -> Double? {
        guard var text = header?.trimmingWhitespace(), !text.isEmpty else { return nil }
        if text.hasPrefix("t=") { text.removeFirst(2) }
        guard text.utf8.count <= 24, let stamp = Double(text), stamp.isFinite else { return nil }
        let seconds = now.timeIntervalSince1970 - stamp
        return abs(seconds) <= plausible ? seconds : nil
    }
}
