import Hummingbird

/// `HEAD` wherever `GET` works: the router answers a `HEAD` for a path with a `GET` route and no
/// `HEAD` route of its own by running the `GET` (`RouterOptions.autoGenerateHeadEndpoints`), and
/// this middleware, the outermost, drops the body of every answer to a `HEAD`, errors included,
/// keeping the status and headers with the `Content-Length` the body had. A body written after a
/// `HEAD` would be refused by NIO's encoder and cost the connection.
struct HeadResponses: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard request.method == .head else { return response }
        var head = Response(status: response.status, headers: response.headers)
        // A streamed body of unknown length: say nothing rather than `Content-Length: 0`. (No GET
        // route streams; for one, Hummingbird's generated HEAD would still say 0.)
        if response.body.contentLength == nil { head.headers[.contentLength] = nil }
        return head
    }
}
