import Foundation
import Hummingbird
import NIOCore

/// A service's OpenAPI document (its `openapi.json` resource), served at `/openapi.json` and held
/// to the service's router: a route it does not document, or an operation it documents and does
/// not route, stops the service at start-up, so the two cannot drift apart unnoticed.
public struct APIDocument: Sendable {
    public let bytes: ByteBuffer
    /// "METHOD /path/{}" for every documented operation; parameter names are not compared.
    public let operations: Set<String>

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    public init(data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let paths = root["paths"] as? [String: Any] else {
            throw ConfigurationError("the OpenAPI document has no paths")
        }
        var operations = Set<String>()
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where Self.methods.contains(method) {
                operations.insert("\(method.uppercased()) \(Self.shape(of: path))")
            }
        }
        self.bytes = ByteBuffer(bytes: data)
        self.operations = operations
    }

    /// Loads `openapi.json` from a target's resources.
    public init(bundle: Bundle) throws {
        guard let url = bundle.url(forResource: "openapi", withExtension: "json") else {
            throw ConfigurationError("openapi.json is missing from the build")
        }
        try self.init(data: try Data(contentsOf: url))
    }

    /// `/api/posts/:id` and `/api/posts/{postId}` both become `/api/posts/{}`.
    static func shape(of path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            if part.hasPrefix(":") || (part.hasPrefix("{") && part.hasSuffix("}")) { return "{}" }
            return String(part)
        }
        let joined = parts.joined(separator: "/")
        return joined.hasPrefix("/") ? joined : "/" + joined
    }

    /// What the router and the document disagree on, each as "METHOD /path/{}", sorted.
    public func mismatches(routes: [(method: String, path: String)]) -> (undocumented: [String], unrouted: [String]) {
        let routed = Set(routes.map { "\($0.method.uppercased()) \(Self.shape(of: $0.path))" })
        return (routed.subtracting(operations).sorted(), operations.subtracting(routed).sorted())
    }

    /// Adds `GET /openapi.json`, then checks the router's routes (that one included) against the
    /// document.
    public func serve(on router: Router<AppRequestContext>) throws {
        router.get("/openapi.json") { [bytes] _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: bytes))
        }
        let (undocumented, unrouted) = mismatches(routes: router.routes.map { ($0.method.rawValue, "\($0.path)") })
        guard undocumented.isEmpty, unrouted.isEmpty else {
            throw ConfigurationError("the service's openapi.json does not match its router: "
                + "undocumented routes [\(undocumented.joined(separator: ", "))], "
                + "documented operations with no route [\(unrouted.joined(separator: ", "))]")
        }
    }
}
