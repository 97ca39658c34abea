import Foundation
import NIOFoundationCompat
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import Shared

@Suite struct HTTPTests {
    struct Payload: Decodable { var name: String }

    /// A router with the shared middleware and a few routes that fail in different ways.
    func makeApp(redisURL: String = TestEnvironment.redisURL) async throws -> some ApplicationProtocol {
        let url = try await TestEnvironment.scratchDatabase()
        let reader = TestEnvironment.reader(databaseURL: url, ["REDIS_URL": redisURL, "HTTP_MAX_BODY_BYTES": "1024"])
        let runtime = try ServiceRuntime(config: ServiceConfig(name: "probe", defaultPort: 0, reader: reader))
        let router = runtime.makeRouter()
        router.get("/items/{id}") { _, context -> String in
            let id = try context.parameters.require("id", as: Int.self)
            if id == 0 { throw APIError.notFound("No item 0") }
            if id == 1 { throw APIError.tooManyRequests("Slow down", retryAfter: 7) }
            if id == 2 { throw CancellationError() }  // anything unexpected
            if id == 3 { throw RedisError.timeout }  // a dependency down
            return "item \(id)"
        }
        router.post("/items/special") { _, _ in "special" }
        router.post("/items") { request, context -> String in
            let payload = try await request.decode(as: Payload.self, context: context)
            return payload.name
        }
        return try runtime.makeApplication(router: router, migrations: [])
    }

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
                #expect(response.headers[.allow] == "GET")
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
            try await client.execute(uri: "/items", method: .post, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(errorBody(response).code == "bad_request")
            }
            try await client.execute(uri: "/items", method: .post, body: ByteBuffer(string: #"{"name":"ok"}"#)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok")
            }
            let big = ByteBuffer(string: #"{"name":""# + String(repeating: "x", count: 2000) + #""}"#)
            try await client.execute(uri: "/items", method: .post, body: big) { response in
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
}
