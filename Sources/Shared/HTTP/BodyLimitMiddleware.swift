import Hummingbird

/// Rejects bodies over the limit with 413 before reading them (by `Content-Length`), and sets the
/// limit that body decoding enforces for chunked requests. Routes that take large bodies (video
/// uploads) get their own limit by path prefix; the longest matching prefix wins.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let maxBytes: Int
    let overrides: [(prefix: String, maxBytes: Int)]

    public init(maxBytes: Int, overrides: [String: Int] = [:]) {
        self.maxBytes = maxBytes
        self.overrides = overrides.map { ($0.key, $0.value) }.sorted { $0.prefix.count > $1.prefix.count }
    }

    /// The limit for a request path.
    public func limit(forPath path: String) -> Int {
        overrides.first { path.hasPrefix($0.prefix) }?.maxBytes ?? maxBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let maxBytes = limit(forPath: request.uri.path)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "Request body exceeds \(maxBytes) bytes")
        }
        var context = context
        context.maxUploadSize = maxBytes
        return try await next(request, context)
    }
}
