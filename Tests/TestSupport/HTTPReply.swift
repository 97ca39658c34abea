import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A service's answer as a test reads it: the status, the headers and the body, with the JSON
/// error contract's code at hand.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: String

    public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    public subscript(key: String) -> String? { json[key] as? String }
    public var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    public func header(_ name: String) -> String? { headers.first(name: name) }

    /// Sends a request to a service under test the way nginx would: with the caller's address in
    /// `X-Real-IP`, a bearer token when given, and a JSON body when given.
    /// `bytes` is sent as it is, with whatever Content-Type `headers` give.
    public static func send(_ method: HTTPMethod, _ url: String, json: Any? = nil, rawJSON: String? = nil, bytes: ByteBuffer? = nil,
                            token: String? = nil, address: String, headers extra: [String: String] = [:],
                            client: HTTPClient = .shared) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "X-Real-IP", value: address)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        } else if let rawJSON {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: rawJSON))
        } else if let bytes {
            request.body = .bytes(bytes)
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return HTTPReply(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }
}

/// A test helper's own failure (a server that did not start, say), with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
