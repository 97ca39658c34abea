import Foundation
import Hummingbird
import Testing
@testable import Shared

@Suite struct APIDocumentTests {
    let document = try! APIDocument(data: Data("""
        {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
            "/openapi.json": {"get": {}},
            "/api/posts": {"get": {}, "post": {}, "parameters": []},
            "/api/posts/{postId}": {"get": {}, "delete": {}},
            "/api/search": {"get": {}}
        }}
        """.utf8))

    @Test func readsEveryOperationButNotTheSharedParameters() {
        #expect(document.operations == ["GET /openapi.json", "GET /api/posts", "POST /api/posts", "GET /api/posts/{}",
                                        "DELETE /api/posts/{}", "GET /api/search"])
    }

    @Test func namesWhatTheRouterAndTheDocumentDisagreeOn() {
        let (undocumented, unrouted) = document.mismatches(routes: [
            ("GET", "/openapi.json"), ("GET", "/api/posts"), ("POST", "/api/posts"),
            ("GET", "/api/posts/{id}"), ("PATCH", "/api/posts/{id}"), ("GET", "/api/posts/{id}/like"),
        ])
        #expect(undocumented == ["GET /api/posts/{}/like", "PATCH /api/posts/{}"])
        #expect(unrouted == ["DELETE /api/posts/{}", "GET /api/search"])
    }

    @Test func aRouterThatMatchesIsServedAndOneThatDoesNotStopsTheService() throws {
        let matching = Router(context: AppRequestContext.self)
        matching.get("/api/posts") { _, _ in "" }
        matching.post("/api/posts") { _, _ in "" }
        matching.get("/api/posts/:id") { _, _ in "" }
        matching.delete("/api/posts/:id") { _, _ in "" }
        matching.get("/api/search") { _, _ in "" }
        try document.serve(on: matching)
        #expect(matching.routes.contains { $0.method == .get && "\($0.path)" == "/openapi.json" })

        let drifted = Router(context: AppRequestContext.self)
        drifted.get("/api/posts") { _, _ in "" }
        drifted.get("/api/secret") { _, _ in "" }
        #expect {
            try document.serve(on: drifted)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("GET /api/secret") && text.contains("POST /api/posts") && text.contains("GET /api/search")
        }
    }
}
