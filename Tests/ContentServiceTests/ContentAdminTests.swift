import Foundation
import NIOHTTP1
import Shared
import Testing
import TestSupport
@testable import ContentService

/// `GET /api/admin/users/{id}/content`: what a user owns, counted whatever anyone may see of it.
@Suite struct ContentAdminTests {
    @Test func countsEverythingTheUserOwnsHiddenOrNot() async throws {
        try await ContentServer.run { server in
            let admin = try await server.caller(role: .admin)
            let user = try await server.caller()
            let other = try await server.caller()
            try await server.post("one", as: user)
            try await server.post("two", as: user)
            try await server.post("someone else's", as: other)
            _ = try await server.video(as: user)
            _ = try await server.video(as: user, ready: false)
            for visibility in ["public", "private"] {
                #expect(try await server.call(.POST, "/api/playlists", json: ["title": "mine", "visibility": visibility], as: user).status == 201)
            }
            let path = "/api/admin/users/\(user.id)/content"
            let counts = { () async throws -> [Int] in
                let reply = try await server.call(.GET, path, as: admin)
                #expect(reply.status == 200)
                return ["posts", "videos", "playlists"].map { (reply.json[$0] as? NSNumber)?.intValue ?? -1 }
            }
            #expect(try await counts() == [2, 2, 2])

            // A ban hides the user's posts from everyone; the administrator still counts them.
            try await server.authorChanged(UserChange(userID: user.id, nickname: "n", banned: true, version: 1))
            #expect(try await server.eventually { try await server.page("/api/posts?authorId=\(user.id)").ids.isEmpty })
            #expect(try await counts() == [2, 2, 2])

            // Nobody this service knows of owns nothing; an id that is none is a 400.
            let unknown = try await server.call(.GET, "/api/admin/users/\(UUID())/content", as: admin)
            #expect(unknown.status == 200 && unknown.body.contains("\"posts\":0"))
            let malformed = try await server.call(.GET, "/api/admin/users/not-a-uuid/content", as: admin)
            #expect(malformed.status == 400 && malformed.errorCode == "invalid_id")
        }
    }

    @Test func everyCountIsAudited() async throws {
        try await ContentServer.run { server in
            let admin = try await server.caller(role: .admin)
            let user = try await server.caller()
            #expect(try await server.call(.GET, "/api/admin/users/\(user.id.uppercased())/content", as: admin).status == 200)
            #expect(try await server.call(.GET, "/api/admin/users/x/content", as: admin).status == 400)
            let events = try await server.withDatabase { db in
                try await db.query("""
                    SELECT payload->>'actorID', payload->>'targetType', payload->>'targetID' FROM queue.jobs
                    WHERE kind = 'audit.event' AND payload->>'action' = 'admin.user_content_viewed'
                    """, logger: TestEnvironment.logger).map { try $0.decode((String, String, String).self) }
            }
            #expect(events.count == 1)
            #expect(events.first?.0 == admin.id && events.first?.1 == "user" && events.first?.2 == user.id)
        }
    }
}

/// Every admin route of ContentService × {anonymous, USER, ADMIN}: 401, 403, 200. A new admin
/// route fails here until the table has a row for it.
@Suite struct AdminAccessMatrixTests {
    struct Route: Sendable, CustomTestStringConvertible {
        var method: HTTPMethod
        /// The route as the router knows it.
        var pattern: String
        var path: @Sendable (_ userID: String) -> String
        var admin: Int

        var testDescription: String { "\(method) \(pattern)" }
    }

    static let routes: [Route] = [
        Route(method: .GET, pattern: "/api/admin/users/{id}/content", path: { "/api/admin/users/\($0)/content" }, admin: 200),
    ]

    @Test func theTableCoversEveryAdminRoute() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "content") { url in
            let runtime = try ServiceRuntime(config: ServiceConfig(name: "content", defaultPort: 0, reader: TestEnvironment.reader(databaseURL: url)))
            let (router, _) = try buildRouter(runtime: runtime, config: ContentConfig(reader: TestEnvironment.reader(databaseURL: url)))
            let served = Set(router.routes.map { "\($0.method) \($0.path)" }.filter { $0.contains(" /api/admin") })
            let tabled = Set(Self.routes.map { "\($0.method.rawValue) \($0.pattern)" })
            #expect(served == tabled, "served but not in the table: \(served.subtracting(tabled).sorted()); in the table but not served: \(tabled.subtracting(served).sorted())")
        }
    }

    @Test(arguments: routes)
    func anonymousIs401UserIs403AdminPasses(_ route: Route) async throws {
        try await ContentServer.run { server in
            let user = try await server.caller()
            let path = route.path(user.id)
            #expect(try await server.call(route.method, path).status == 401)
            let forbidden = try await server.call(route.method, path, as: user)
            #expect(forbidden.status == 403 && forbidden.errorCode == "forbidden")
            #expect(try await server.call(route.method, path, as: try await server.caller(role: .admin)).status == route.admin)
        }
    }
}
