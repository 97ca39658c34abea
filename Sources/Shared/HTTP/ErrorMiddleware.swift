import Hummingbird
import Logging
import PostgresNIO

/// Turns every error into the JSON error contract. Client mistakes keep their 4xx status; anything
/// unexpected is logged with the request id and becomes a 500 whose body reveals nothing internal.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteMethods?

    /// With `routes`, a known path asked with a method it does not answer is a 405 with `Allow`.
    public init(routes: RouteMethods? = nil) {
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // Hummingbird's own 404: no route for this method and path.
            if let allowed = routes?.allowed(for: request.uri.path), !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                var headers = HTTPFields()
                headers[.allow] = allowed.joined(separator: ", ")
                return try APIError(.methodNotAllowed, code: "method_not_allowed",
                                    message: "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", "))",
                                    headers: headers).response(from: request, context: context)
            }
            return try Self.apiError(for: error, context: context).response(from: request, context: context)
        } catch {
            return try Self.apiError(for: error, context: context).response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as any APIErrorConvertible:
            return error.apiError
        case let error as HTTPError:
            // Hummingbird's own errors: unknown route, body over the limit, undecodable JSON.
            let message = error.body ?? error.status.reasonPhrase
            return APIError(error.status, code: APIError.code(for: error.status), message: message, headers: error.headers)
        case let error as any HTTPResponseError:
            return APIError(error.status, code: APIError.code(for: error.status), message: error.status.reasonPhrase)
        case let error as PSQLError where error.serverInfo?[.sqlState] == "23505":
            return .conflict("The resource already exists")
        case let error as PSQLError where error.serverInfo?[.sqlState] == "23514":
            // A check constraint caught what validation let through: still the client's input.
            context.logger.warning("check constraint refused input", metadata: ["constraint": "\(error.serverInfo?[.constraintName] ?? "-")"])
            return .invalid("A field is not valid")
        case let error as PSQLError:
            // Never the server's DETAIL: it can quote the failing row, hashes included.
            context.logger.error("database error", metadata: [
                "sqlstate": "\(error.serverInfo?[.sqlState] ?? "-")", "message": "\(error.serverInfo?[.message] ?? "\(error.code)")",
            ])
            return APIError(.internalServerError, code: "internal_error", message: "Internal server error")
        case let error as RedisError where error.isTransient:
            context.logger.warning("redis unavailable", metadata: ["error": "\(error.reason)"])
            return .unavailable("A dependency is unavailable, try again shortly", retryAfter: 2)
        case is DependencyUnavailable:
            context.logger.warning("dependency unavailable", metadata: ["error": "\(error.reason)"])
            return .unavailable("A dependency is unavailable, try again shortly", retryAfter: 2)
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(error.reason)", "type": "\(type(of: error))"])
            return APIError(.internalServerError, code: "internal_error", message: "Internal server error")
        }
    }
}

/// Thrown when Postgres or Redis cannot be reached: the client should retry, not report a bug.
public struct DependencyUnavailable: Error, CustomStringConvertible {
    public var dependency: String
    public var underlying: any Error
    public init(_ dependency: String, underlying: any Error) {
        self.dependency = dependency
        self.underlying = underlying
    }
    public var description: String { "\(dependency) unavailable: \(underlying)" }
}
