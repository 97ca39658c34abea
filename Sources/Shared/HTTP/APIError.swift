import Foundation
import Hummingbird
import NIOCore

/// An error with a stable machine-readable code, rendered as `{"error":{"code","message"}}`.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// What a command-line tool prints: the message a client would read, and its code.
    public var description: String { "\(message) (\(code))" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code: code, message: message)
    }
    public static func unauthorized(_ message: String = "Authentication required", code: String = "unauthorized") -> APIError {
        APIError(.unauthorized, code: code, message: message, headers: [.wwwAuthenticate: "Bearer"])
    }
    public static func forbidden(_ message: String = "Not allowed", code: String = "forbidden") -> APIError {
        APIError(.forbidden, code: code, message: message)
    }
    public static func notFound(_ message: String = "Not found", code: String = "not_found") -> APIError {
        APIError(.notFound, code: code, message: message)
    }
    public static func conflict(_ message: String, code: String = "conflict") -> APIError {
        APIError(.conflict, code: code, message: message)
    }
    public static func invalid(_ message: String, code: String = "invalid_field") -> APIError {
        APIError(.unprocessableContent, code: code, message: message)
    }
    public static func tooManyRequests(_ message: String, code: String = "rate_limited", retryAfter seconds: Int) -> APIError {
        APIError(.tooManyRequests, code: code, message: message, headers: [.retryAfter: String(max(1, seconds))])
    }
    public static func unavailable(_ message: String, code: String = "unavailable", retryAfter seconds: Int) -> APIError {
        APIError(.serviceUnavailable, code: code, message: message, headers: [.retryAfter: String(max(1, seconds))])
    }
    /// More work waits than can be served in time: a 503 `overloaded` a client retries after a pause,
    /// the same from every place that sheds load.
    public static func overloaded(_ message: String = "The server is busy, try again shortly", retryAfter seconds: Int = 1) -> APIError {
        .unavailable(message, code: "overloaded", retryAfter: seconds)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = ErrorBody(error: .init(code: code, message: message))
        let encoder = JSONEncoder()
        // A stable byte-for-byte body: clients and tests may compare error bodies.
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(body)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorBody: Codable {
        struct Detail: Codable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}

/// A domain error that knows its HTTP answer (a shed request, say), so handlers can let it
/// propagate and `ErrorMiddleware` renders it.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension APIError {
    /// The code used when an error from the framework carries only a status.
    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 422: "invalid_field"
        case 429: "rate_limited"
        case 503: "unavailable"
        default: status.code >= 500 ? "internal_error" : "error"
        }
    }
}
