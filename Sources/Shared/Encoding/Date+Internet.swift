import Foundation

extension Date {
    /// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's HTTP-date), or with `+0000` for mail headers
    /// (RFC 5322).
    public func internetFormat(mail: Bool = false) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = mail ? "EEE, dd MMM yyyy HH:mm:ss '+0000'" : "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: self)
    }
}
