import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// Cookie mode: a browser's refresh token kept where no script can read it (docs/security.md).
///
/// A login, refresh or logout asks for it with `X-Auth-Mode: cookie`; the refresh token then
/// travels only in an `HttpOnly`, `SameSite=Strict` cookie and never in the JSON. Under TLS the
/// cookie is `Secure` and named `__Host-refresh` (no Domain, Path `/`: no sibling subdomain can
/// plant or shadow it; nginx passes cookies to AuthService alone); on plain HTTP, which only a
/// loopback development stack should serve, it is `refresh`, scoped to `/api/auth/`.
///
/// The header is the CSRF defence: a cross-site form or a simple request cannot carry it, and a
/// cross-origin fetch that does needs a CORS preflight only the allowed origins pass. A call
/// that carries it from another site's page (`Origin`, `Sec-Fetch-Site`) is refused outright.
/// Without the header the cookie is never read.
struct RefreshCookie: Sendable {
    static let modeHeader = HTTPField.Name("X-Auth-Mode")!
    static let refused = APIError.forbidden("Cookie-mode calls are accepted only from this site's pages", code: "origin_refused")

    let name: String
    let path: String
    let secure: Bool
    let maxAge: Int
    /// Pages that may use cookie mode: the public base URL's origin and `CORS_ORIGINS`.
    let allowedOrigins: Set<String>

    init(publicBaseURL: String, corsOrigins: [String], lifetime: Duration) {
        let base = Self.origin(of: publicBaseURL)
        secure = base?.hasPrefix("https://") ?? false
        name = secure ? "__Host-refresh" : "refresh"
        path = secure ? "/" : "/api/auth/"
        maxAge = Int(lifetime.seconds)
        allowedOrigins = Set(([base] + corsOrigins.map(Self.origin)).compactMap { $0 })
    }

    /// Whether `request` is a cookie-mode call; 403 `origin_refused` for one sent by another site.
    func isRequested(by request: Request) throws -> Bool {
        guard request.headers[Self.modeHeader]?.lowercased() == "cookie" else { return false }
        if let origin = request.headers[.origin], !allowedOrigins.contains(Self.origin(of: origin) ?? "") { throw Self.refused }
        if request.headers[HTTPField.Name("Sec-Fetch-Site")!] == "cross-site" { throw Self.refused }
        return true
    }

    /// A new pair as JSON, or in cookie mode with the refresh token moved into the cookie. Never
    /// stored by a cache on the way.
    func answer(_ pair: TokenPair, cookieMode: Bool) -> EditedResponse<TokenPair> {
        var headers: HTTPFields = [.cacheControl: "no-store"]
        var pair = pair
        if cookieMode, let token = pair.refreshToken {
            headers[.setCookie] = setting(token)
            pair.refreshToken = nil
        }
        return EditedResponse(headers: headers, response: pair)
    }

    func token(in request: Request) -> String? {
        request.cookies[name]?.value
    }

    /// The `Set-Cookie` value that hands `token` to the browser.
    func setting(_ token: String) -> String {
        cookie(token, maxAge: maxAge)
    }

    /// The `Set-Cookie` value that makes the browser forget it.
    var clearing: String { cookie("", maxAge: 0) }

    private func cookie(_ value: String, maxAge: Int) -> String {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict).description
    }

    /// `scheme://host[:port]` in lower case, the default port left out: how browsers write `Origin`.
    static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url.trimmingWhitespace()), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = parts.port.flatMap { ($0 == 80 && scheme == "http") || ($0 == 443 && scheme == "https") ? nil : $0 }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }
}
