import Foundation
import Hummingbird

/// Cross-origin requests from browsers, for the origins in `CORS_ORIGINS` only, and off when it
/// is empty (the default): the web client is served by the same nginx, so it needs none.
///
/// From a listed origin, a preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered
/// 204 at once with what the path allows, and every other answer names the origin and exposes the
/// headers a client reads (`Retry-After`, `X-Request-Id`, `Location`, tus's). Credentials are
/// allowed (the `Authorization` header), so the origin is always echoed exactly, never
/// `*`. Any other origin gets no CORS header at all, and its browser refuses the answer; a
/// preflight from it goes on to the router like any `OPTIONS` (a 405, or tus's own answer).
/// Hummingbird's `CORSMiddleware` answers every `OPTIONS` with an origin as a preflight (tus's
/// `OPTIONS` too), with its allowed methods and headers even for a foreign origin, and takes its
/// origin list only as literal arguments, hence this one.
public struct CORSAllowList: RouterMiddleware {
    public typealias Context = AppRequestContext

    let origins: Set<String>
    let routes: RouteMethods

    static let allowedHeaders = [
        "Authorization", "Content-Type", "X-Request-Id", "X-Auth-Mode",
        "Tus-Resumable", "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Defer-Length",
    ].joined(separator: ", ")
    static let exposedHeaders = [
        "Retry-After", "X-Request-Id", "Location", "Allow",
        "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
        "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size",
        "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Expires", "Upload-Defer-Length",
    ].joined(separator: ", ")
    /// How long a browser may keep a preflight's answer (browsers cap it: Chromium at 2 hours).
    static let maxAge = "600"

    init(origins: [String], routes: RouteMethods) {
        self.origins = Set(origins)
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            var response = try await next(request, context)
            // Answers differ by origin, so shared caches must not hand one origin's to another.
            response.headers[values: .vary].append("Origin")
            return response
        }
        if request.method == .options, request.headers.contains(.accessControlRequestMethod) {
            let methods = routes.allowed(for: request.uri.path)
            if !methods.isEmpty {
                var headers = Self.headers(origin: origin)
                headers[.accessControlAllowMethods] = methods.joined(separator: ", ")
                headers[.accessControlAllowHeaders] = Self.allowedHeaders
                headers[.accessControlMaxAge] = Self.maxAge
                return Response(status: .noContent, headers: headers)
            }
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: Self.headers(origin: origin))
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        return response
    }

    static func headers(origin: String) -> HTTPFields {
        [.accessControlAllowOrigin: origin, .accessControlAllowCredentials: "true", .vary: "Origin"]
    }

    /// `CORS_ORIGINS` as the origins browsers send: `scheme://host[:port]`, lower case, no path.
    /// An entry that is not one (`*`, a path, a typo) is left out and named on standard error, so
    /// a mistake opens nothing.
    public static func origins(from list: String) -> [String] {
        var origins: [String] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let trimmed = entry.hasSuffix("/") ? String(entry.dropLast()) : entry
            guard let url = URLComponents(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty, url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
            else {
                FileHandle.standardError.write(Data("CORS_ORIGINS: \(entry) is not an origin (scheme://host[:port]); left out\n".utf8))
                continue
            }
            // An IPv6 host keeps its brackets, which some Foundations drop.
            let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host.lowercased())]" : host.lowercased()
            origins.append("\(scheme)://\(name)" + (url.port.map { ":\($0)" } ?? ""))
        }
        return origins
    }
}
