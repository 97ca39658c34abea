import Hummingbird

/// Rejects bodies over the limit with 413 before reading them (by `Content-Length`), and sets the
/// limit that body decoding enforces for chunked requests.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let maxBytes: Int

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "Request body exceeds \(maxBytes) bytes")
        }
        var context = context
        context.maxUploadSize = maxBytes
        return try await next(request, context)
    }
}
