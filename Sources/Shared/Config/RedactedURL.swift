import Foundation

/// A URL as it may appear in a log or an error: any password in it replaced by `***`, also
/// when the URL does not parse (a typo in a setting must not print the secret next to it).
public enum RedactedURL {
    public static func string(_ url: String) -> String {
        // scheme://[user[:password]@]host...: everything between the first ':' after "//" and
        // the last '@' before the host is the password.
        guard let start = url.range(of: "://") else { return url }
        let rest = url[start.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        let userinfo = authority[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<userinfo.index(after: colon)]) + "***" + String(url[at...])
    }
}
