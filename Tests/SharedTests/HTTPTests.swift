import Foundation
import NIOFoundationCompat
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import Shared

// One at a time: each test starts a service with its own pools and migration, and ten at once
// beside the rest of the suite ran the database out of connections.
@Suite(.serialized) struct HTTPTests {
    struct Payload: Decodable { var name: String }

    /// A router with the shared middleware and a few routes that fail in different ways; no load
    /// shedding unless a test asks for it (a busy machine is not what these tests are about).
    func makeApp(redisURL: String = TestEnvironment.redisURL, _ settings: [String: String] = [:]) async throws -> some ApplicationProtocol {
        // It migrates nothing: the server's own database serves its readiness check.
        let url = TestEnvironment.databaseURL
        let reader = TestEnvironment.reader(databaseURL: url, ["REDIS_URL": redisURL, "HTTP_MAX_BODY_BYTES": "1024", "HTTP_MAX_QUEUE_MS": "0"].merging(settings) { $1 })
        let runtime = try ServiceRuntime(config: ServiceConfig(name: "probe", defaultPort: 0, reader: reader))
        let router = runtime.makeRouter()
        router.get("/items/{id}") { _, context -> String in
            let id = try context.parameters.require("id", as: Int.self)
            if id == 0 { throw APIError.notFound("No item 0") }
            if id == 1 { throw APIError.tooManyRequests("Slow down", retryAfter: 7) }
            if id == 2 { throw CancellationError() }  // anything unexpected
            if id == 3 { throw RedisError.timeout }  // a dependency down
            // Redis at its memory limit with nothing to evict: a reply that says "not now".
            if id == 4 { throw RedisError.server("OOM command not allowed when used memory > 'maxmemory'.") }
            if id == 5 { throw RedisError.server("ERR wrong number of arguments for 'get' command") }  // a bug
            return "item \(id)"
        }
        router.post("/items/special") { _, _ in "special" }
        router.get("/waited") { _, context -> String in String((ContinuousClock.now - context.arrived).milliseconds) }
        router.post("/items") { request, context -> String in
            let payload = try await request.decode(as: Payload.self, context: context)
            return payload.name
        }
        // A route that takes bytes of its own type, as tus chunks and multipart uploads do.
        router.put("/raw") { request, _ -> String in
            String(try await request.body.collect(upTo: 1024).readableBytes)
        }
        return try runtime.makeApplication(router: router, migrations: [])
    }

    static let json: HTTPFields = [.contentType: "application/json"]

    struct ErrorFields: Equatable {
        var code: String?
        var message: String?
    }

    /// The `error` object of a response, or nils when the body does not follow the contract.
    func errorBody(_ response: TestResponse) -> ErrorFields {
        let object = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        let error = object?["error"] as? [String: String]
        return ErrorFields(code: error?["code"], message: error?["message"])
    }

    @Test func errorsFollowTheContract() async throws {
        let app = try await makeApp()
        try await app.test(.router) { client in
            try await client.execute(uri: "/items/0", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(errorBody(response) == ErrorFields(code: "not_found", message: "No item 0"))
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            try await client.execute(uri: "/items/1", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "7")
                #expect(errorBody(response).code == "rate_limited")
            }
            try await client.execute(uri: "/items/2", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(errorBody(response) == ErrorFields(code: "internal_error", message: "Internal server error"))
            }
            try await client.execute(uri: "/items/3", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "2")
                #expect(errorBody(response).code == "unavailable")
            }
            try await client.execute(uri: "/items/4", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "2")
                #expect(errorBody(response).code == "unavailable")
            }
            try await client.execute(uri: "/items/5", method: .get) { #expect($0.status == .internalServerError) }
            try await client.execute(uri: "/items/abc", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(errorBody(response).code == "bad_request")
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(errorBody(response).code == "not_found")
            }
            // A known path with a method it does not answer.
            try await client.execute(uri: "/items/5", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
                #expect(errorBody(response).code == "method_not_allowed")
            }
            try await client.execute(uri: "/items", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            // A constant segment wins over a capture, as in the router.
            try await client.execute(uri: "/items/special", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/nowhere", method: .delete) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/items", method: .post, headers: Self.json, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(errorBody(response).code == "malformed_json")
            }
            try await client.execute(uri: "/items", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"name":"ok"}"#)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok")
            }
            let big = ByteBuffer(string: #"{"name":""# + String(repeating: "x", count: 2000) + #""}"#)
            try await client.execute(uri: "/items", method: .post, headers: Self.json, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(errorBody(response).code == "payload_too_large")
            }
        }
    }

    @Test func requestIDIsEchoedOrCreated() async throws {
        let app = try await makeApp()
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: "abc-123"]) { response in
                #expect(response.headers[.requestID] == "abc-123")
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: "bad id with spaces"]) { response in
                let id = try #require(response.headers[.requestID])
                #expect(id != "bad id with spaces" && !id.isEmpty)
            }
        }
    }

    /// nginx's stamp moves the request's arrival back by the time it queued after the proxy; over
    /// a real socket, so the peer is loopback, which is trusted by default.
    @Test func arrivalCountsFromTheProxysStamp() async throws {
        let app = try await makeApp(["HTTP_MAX_QUEUE_MS": "0"])
        try await app.test(.live) { client in
            let stamp = String(format: "t=%.3f", Date().timeIntervalSince1970 - 2.5)
            let waited = { (headers: HTTPFields) async throws -> Int in
                try await client.execute(uri: "/waited", method: .get, headers: headers) { Int(String(buffer: $0.body)) ?? -1 }
            }
            // Fresh stamps first teach the service the proxy's clock (`ClockOffset`, the shortest
            // gap); a first request that queued on a busy machine makes the later waits read short
            // by as much, hence the lower bound below.
            for _ in 0..<3 {
                let fresh = try await waited([.requestStart: String(format: "t=%.3f", Date().timeIntervalSince1970)])
                #expect((0..<1000).contains(fresh), "\(fresh) ms")
            }
            let stamped = try await waited([.requestStart: stamp])
            #expect((1500..<4000).contains(stamped), "\(stamped) ms")
            #expect((0..<1000).contains(try await waited([:])))
            #expect((0..<1000).contains(try await waited([.requestStart: "t=yesterday"])))
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"http_server_request_queue_seconds_count{service="probe"}"#))
            }
        }
    }

    @Test func requestsThatQueuedTooLongAreShedButProbesAreNot() async throws {
        let app = try await makeApp(["HTTP_MAX_QUEUE_MS": "1000"])
        try await app.test(.live) { client in
            // Stamped as the request leaves: a stamp made earlier grows old on a busy machine.
            var fresh: HTTPFields { [.requestStart: String(format: "t=%.3f", Date().timeIntervalSince1970)] }
            try await client.execute(uri: "/items/42", method: .get, headers: fresh) { #expect($0.status == .ok) }
            let old: HTTPFields = [.requestStart: String(format: "t=%.3f", Date().timeIntervalSince1970 - 2.5)]
            try await client.execute(uri: "/items/42", method: .get, headers: old) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                #expect(errorBody(response).code == "overloaded")
            }
            try await client.execute(uri: "/healthz", method: .get, headers: old) { #expect($0.status == .ok) }
            try await client.execute(uri: "/items/42", method: .get, headers: fresh) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"http_server_shed_total{service="probe"}"#))
            }
        }
    }

    @Test func metricsShowLatencyByRouteAndStatus() async throws {
        let app = try await makeApp()
        try await app.test(.router) { client in
            _ = try await client.execute(uri: "/items/42", method: .get)
            _ = try await client.execute(uri: "/items/0", method: .get)
            _ = try await client.execute(uri: "/readyz", method: .get)  // pings Redis
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains(#"http_server_request_duration_seconds_bucket{service="probe",route="/items/{id}",method="GET",status="200""#))
                #expect(text.contains(#"http_server_request_duration_seconds_count{service="probe",route="/items/{id}",method="GET",status="404"}"#))
                #expect(text.contains(#"db_pool_connections_max{service="probe"}"#))
                #expect(text.contains(#"redis_pool_connections_max{service="probe"} 4"#))
                #expect(text.contains(#"redis_pool_connections_open{service="probe"}"#))
                #expect(text.contains(#"redis_commands_in_flight{service="probe"}"#))
            }
        }
    }

    @Test func readinessReflectsDependencies() async throws {
        let healthy = try await makeApp()
        try await healthy.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""status":"ready""#))
            }
        }
        let noRedis = try await makeApp(redisURL: "redis://127.0.0.1:1")
        try await noRedis.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
                let body = String(buffer: response.body)
                #expect(body.contains(#""redis":"failed""#) && body.contains(#""postgres":"ok""#))
            }
        }
    }

    // HEAD wherever GET works: the GET's status and headers, no body.
    @Test func headAnswersAsGetWithoutTheBody() async throws {
        let app = try await makeApp()
        try await app.test(.live) { client in
            let get = try await client.execute(uri: "/items/42", method: .get)
            try await client.execute(uri: "/items/42", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.contentLength] == String(get.body.readableBytes))
                #expect(response.headers[.contentType] == get.headers[.contentType])
                #expect(response.headers[.requestID] != nil)
            }
            // A GET that fails, an unknown path, a path without GET: the same status, no body.
            try await client.execute(uri: "/items/0", method: .head) { response in
                #expect(response.status == .notFound)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/nowhere", method: .head) { response in
                #expect(response.status == .notFound)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/items/special", method: .head) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                #expect(response.body.readableBytes == 0)
            }
            // The connection is still good after them all.
            try await client.execute(uri: "/healthz", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == "15")
            }
        }
    }

    // A JSON route refuses a body of another media type, before reading it as JSON.
    @Test func aJSONRouteRefusesOtherMediaTypes() async throws {
        let app = try await makeApp()
        let body = ByteBuffer(string: #"{"name":"ok"}"#)
        try await app.test(.router) { client in
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "application/+json", nil] {
                let headers: HTTPFields = type.map { [.contentType: $0] } ?? [:]
                try await client.execute(uri: "/items", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type ?? "no type")")
                    #expect(errorBody(response) == ErrorFields(code: "unsupported_media_type",
                                                               message: "The body must be sent with Content-Type: application/json"))
                }
            }
            for type in ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", "application/merge-patch+json"] {
                try await client.execute(uri: "/items", method: .post, headers: [.contentType: type], body: body) { response in
                    #expect(response.status == .ok, "\(type)")
                }
            }
            // No body at all is malformed JSON, whatever its type says.
            try await client.execute(uri: "/items", method: .post, headers: [.contentType: "text/plain"]) { response in
                #expect(response.status == .badRequest)
                #expect(errorBody(response).code == "malformed_json")
            }
            // Routes that read their own bodies are not held to it.
            try await client.execute(uri: "/raw", method: .put, headers: [.contentType: "application/offset+octet-stream"], body: body) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "13")
            }
        }
    }

    static let allowedOrigin = "https://app.example"

    func preflight(origin: String, method: String = "DELETE") -> HTTPFields {
        [.origin: origin, .accessControlRequestMethod: method, .accessControlRequestHeaders: "authorization, content-type"]
    }

    func corsHeaders(_ response: TestResponse) -> [String] {
        response.headers.filter { $0.name.canonicalName.lowercased().hasPrefix("access-control-") }.map(\.name.canonicalName)
    }

    @Test func corsAnswersTheListedOriginsOnly() async throws {
        let app = try await makeApp(["CORS_ORIGINS": "\(Self.allowedOrigin), http://LOCALHOST:5173/, *, https://x.example/path"])
        try await app.test(.router) { client in
            try await client.execute(uri: "/items/5", method: .options, headers: preflight(origin: Self.allowedOrigin)) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == Self.allowedOrigin)
                #expect(response.headers[.accessControlAllowMethods] == "GET, HEAD")
                let allowed = response.headers[.accessControlAllowHeaders] ?? ""
                for name in ["Authorization", "Content-Type", "X-Request-Id", "Tus-Resumable", "Upload-Offset", "Upload-Length", "Upload-Metadata"] {
                    #expect(allowed.contains(name), "\(name)")
                }
                #expect(response.headers[.accessControlAllowCredentials] == "true")
                #expect(response.headers[.accessControlMaxAge] == "600")
                #expect(response.headers[values: .vary].contains("Origin"))
            }
            // An entry written with a trailing slash or in capitals matches what browsers send.
            try await client.execute(uri: "/items/5", method: .options, headers: preflight(origin: "http://localhost:5173")) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "http://localhost:5173")
            }
            // Actual answers, errors too, name the origin and expose the headers a client reads.
            for uri in ["/items/42", "/items/1"] {
                try await client.execute(uri: uri, method: .get, headers: [.origin: Self.allowedOrigin]) { response in
                    #expect(response.headers[.accessControlAllowOrigin] == Self.allowedOrigin)
                    #expect(response.headers[.accessControlAllowCredentials] == "true")
                    let exposed = response.headers[.accessControlExposeHeaders] ?? ""
                    for name in ["Retry-After", "X-Request-Id", "Location", "Tus-Resumable", "Upload-Offset"] {
                        #expect(exposed.contains(name), "\(name)")
                    }
                    #expect(response.headers[values: .vary].contains("Origin"))
                }
            }
            // Foreign origins, `*` and an origin with a path among them, get no CORS header at
            // all; a preflight from one is an OPTIONS like any other.
            for origin in ["https://evil.example", "*", "https://x.example", "null"] {
                try await client.execute(uri: "/items/5", method: .options, headers: preflight(origin: origin)) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(corsHeaders(response).isEmpty, "\(origin)")
                }
                try await client.execute(uri: "/items/42", method: .get, headers: [.origin: origin]) { response in
                    #expect(response.status == .ok)
                    #expect(corsHeaders(response).isEmpty, "\(origin)")
                    #expect(response.headers[values: .vary].contains("Origin"))
                }
            }
        }
    }

    @Test func corsIsOffByDefault() async throws {
        let app = try await makeApp()
        try await app.test(.router) { client in
            try await client.execute(uri: "/items/5", method: .options, headers: preflight(origin: Self.allowedOrigin)) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(corsHeaders(response).isEmpty)
            }
            try await client.execute(uri: "/items/42", method: .get, headers: [.origin: Self.allowedOrigin]) { response in
                #expect(corsHeaders(response).isEmpty)
                #expect(!response.headers[values: .vary].contains("Origin"))
            }
        }
    }

    @Test func corsOriginsAreReadAsBrowsersSendThem() {
        #expect(CORSAllowList.origins(from: "") == [])
        #expect(CORSAllowList.origins(from: " https://A.example ,http://[::1]:8080/,https://b.example:8443")
                == ["https://a.example", "http://[::1]:8080", "https://b.example:8443"])
        #expect(CORSAllowList.origins(from: "*,null,app.example,ftp://a.example,https://a.example/x,https://a.example?q") == [])
    }
}
