import Foundation
import Hummingbird

/// Decodes JSON request bodies, answering a body that does not fit in plain words: a body sent
/// as another media type (`Content-Type` missing, or not JSON) is a 415 `unsupported_media_type`
/// before it is parsed; a body that is not JSON is a 400 `malformed_json`; a missing field a 422
/// `missing_field` and a field of the wrong kind a 422 `invalid_field`, each naming the field as
/// the client wrote it (`tags[2]`), never the decoder's own terms.
public struct JSONRequestDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        // An empty body is the 400 below whatever its type; the routes that take other bodies
        // (uploads) never come here.
        if buffer.readableBytes > 0, !Self.isJSON(contentType: request.headers[.contentType]) {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type",
                           message: "The body must be sent with Content-Type: application/json")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw Self.apiError(error)
        }
    }

    static func apiError(_ error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid("\(path(context.codingPath + [key])) is required", code: "missing_field")
        case .valueNotFound(_, let context):
            return .invalid("\(path(context.codingPath)) must not be null", code: "missing_field")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return .invalid("the body must be a JSON object", code: "invalid_field") }
            return .invalid("\(path(context.codingPath)) must be \(kind(of: type))", code: "invalid_field")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .badRequest("The body is not valid JSON", code: "malformed_json") }
            return .invalid("\(path(context.codingPath)) has a value that is not allowed", code: "invalid_field")
        @unknown default:
            return .badRequest("The body could not be read", code: "malformed_json")
        }
    }

    /// `application/json` or a `+json` type (`application/merge-patch+json`), in any case and with
    /// any parameters (`; charset=utf-8`). A missing header is not JSON: a form or a plain text
    /// body (what `curl -d` sends unless told) is refused rather than guessed at.
    static func isJSON(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let essence = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "application" else { return false }
        return parts[1] == "json" || (parts[1].hasSuffix("+json") && parts[1].count > "+json".count)
    }

    /// `tags[2]`, `user.nickname`: the field as it appears in the JSON.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "the body" : text
    }

    static func kind(of type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "text"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array") ? "a list" : String(describing: type).hasPrefix("Dictionary") ? "an object" : "of another kind"
        }
    }
}
