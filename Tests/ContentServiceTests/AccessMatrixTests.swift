import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport
@testable import ContentService
import Shared

/// Every playlist and video route × {anonymous, owner, other user, ADMIN} × {public, unlisted,
/// private} (the visibility of both the scene's playlist and its video), with the exact status of
/// each cell, from the one table below. Each route is a case of its own on a server of its own,
/// and each cell runs on fresh objects, so a delete in one cell cannot change another.
@Suite struct AccessMatrixTests {
    enum Who: String, CaseIterable { case anonymous, owner, other, admin }

    /// What a cell sees: a playlist of the owner's with one item, a video of the owner's.
    struct Scene: Sendable {
        var playlist: String
        var item: String
        var video: String
        var owner: String
        /// A resumable upload of the owner's, 100 bytes long, none sent yet.
        var upload: String
    }

    struct Route: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPMethod
        /// The route as the router knows it.
        var pattern: String
        var path: @Sendable (Scene) -> String
        var json: [String: String]? = nil
        var headers: [String: String] = [:]
        var bytes: [UInt8]? = nil
        var upload = false
        /// Expected status by caller, for public, unlisted and private.
        var expected: [Who: [Int]]

        var testDescription: String { name }
    }

    /// Statuses for anonymous, owner, other and admin, each for public, unlisted, private.
    static func cells(_ anonymous: [Int], _ owner: [Int], _ other: [Int], _ admin: [Int]) -> [Who: [Int]] {
        [.anonymous: anonymous, .owner: owner, .other: other, .admin: admin]
    }

    static let routes: [Route] = [
        Route(name: "show playlist", method: .GET, pattern: "/api/playlists/{id}", path: { "/api/playlists/\($0.playlist)" },
              expected: cells([200, 200, 404], [200, 200, 200], [200, 200, 404], [200, 200, 404])),
        Route(name: "update playlist", method: .PATCH, pattern: "/api/playlists/{id}", path: { "/api/playlists/\($0.playlist)" }, json: ["title": "renamed"],
              expected: cells([401, 401, 401], [200, 200, 200], [403, 403, 404], [403, 403, 404])),
        Route(name: "delete playlist", method: .DELETE, pattern: "/api/playlists/{id}", path: { "/api/playlists/\($0.playlist)" },
              expected: cells([401, 401, 401], [204, 204, 204], [403, 403, 404], [403, 403, 404])),
        Route(name: "add item", method: .POST, pattern: "/api/playlists/{id}/items", path: { "/api/playlists/\($0.playlist)/items" }, json: ["videoId": "<second>"],
              expected: cells([401, 401, 401], [201, 201, 201], [403, 403, 404], [403, 403, 404])),
        Route(name: "move item", method: .PATCH, pattern: "/api/playlists/{id}/items/{itemId}", path: { "/api/playlists/\($0.playlist)/items/\($0.item)" }, json: ["position": "1"],
              expected: cells([401, 401, 401], [200, 200, 200], [403, 403, 404], [403, 403, 404])),
        Route(name: "remove item", method: .DELETE, pattern: "/api/playlists/{id}/items/{itemId}", path: { "/api/playlists/\($0.playlist)/items/\($0.item)" },
              expected: cells([401, 401, 401], [204, 204, 204], [403, 403, 404], [403, 403, 404])),
        // 200 when the playlist is in the listing, 0 when the listing leaves it out.
        Route(name: "list user's playlists", method: .GET, pattern: "/api/users/{userId}/playlists", path: { "/api/users/\($0.owner)/playlists" },
              expected: cells([200, 0, 0], [200, 200, 200], [200, 0, 0], [200, 0, 0])),
        Route(name: "list public playlists", method: .GET, pattern: "/api/playlists", path: { _ in "/api/playlists" },
              expected: cells([200, 0, 0], [200, 0, 0], [200, 0, 0], [200, 0, 0])),
        // Likes are the caller's own, whatever the playlist's visibility.
        Route(name: "list my likes", method: .GET, pattern: "/api/users/me/likes", path: { _ in "/api/users/me/likes" },
              expected: cells([401, 401, 401], [200, 200, 200], [200, 200, 200], [200, 200, 200])),
        // Videos follow the same rule; an administrator may also delete one they can see.
        Route(name: "show video", method: .GET, pattern: "/api/videos/{id}", path: { "/api/videos/\($0.video)" },
              expected: cells([200, 200, 404], [200, 200, 200], [200, 200, 404], [200, 200, 404])),
        // 200 when the video is in the listing of everyone's, 0 when the listing leaves it out.
        Route(name: "list videos", method: .GET, pattern: "/api/videos", path: { _ in "/api/videos" },
              expected: cells([200, 0, 0], [200, 0, 0], [200, 0, 0], [200, 0, 0])),
        Route(name: "update video", method: .PATCH, pattern: "/api/videos/{id}", path: { "/api/videos/\($0.video)" }, json: ["title": "renamed"],
              expected: cells([401, 401, 401], [200, 200, 200], [403, 403, 404], [403, 403, 404])),
        Route(name: "delete video", method: .DELETE, pattern: "/api/videos/{id}", path: { "/api/videos/\($0.video)" },
              expected: cells([401, 401, 401], [204, 204, 204], [403, 403, 404], [204, 204, 404])),
        Route(name: "play video", method: .POST, pattern: "/api/videos/{id}/plays", path: { "/api/videos/\($0.video)/plays" },
              expected: cells([204, 204, 404], [204, 204, 204], [204, 204, 404], [204, 204, 404])),
        Route(name: "upload video", method: .POST, pattern: "/api/videos", path: { _ in "/api/videos" }, upload: true,
              expected: cells([401, 401, 401], [202, 202, 202], [202, 202, 202], [202, 202, 202])),
        Route(name: "create playlist", method: .POST, pattern: "/api/playlists", path: { _ in "/api/playlists" }, json: ["title": "new"],
              expected: cells([401, 401, 401], [201, 201, 201], [201, 201, 201], [201, 201, 201])),
        Route(name: "upload options", method: .OPTIONS, pattern: "/api/videos/uploads", path: { _ in "/api/videos/uploads" },
              expected: cells([204, 204, 204], [204, 204, 204], [204, 204, 204], [204, 204, 204])),
        Route(name: "create resumable upload", method: .POST, pattern: "/api/videos/uploads", path: { _ in "/api/videos/uploads" },
              headers: tus.merging(["Upload-Length": "100", "Upload-Metadata": "title dGl0bGU="]) { $1 },
              expected: cells([401, 401, 401], [201, 201, 201], [201, 201, 201], [201, 201, 201])),
        Route(name: "resumable upload offset", method: .HEAD, pattern: "/api/videos/uploads/{id}", path: { $0.upload }, headers: tus,
              expected: cells([401, 401, 401], [200, 200, 200], [404, 404, 404], [404, 404, 404])),
        Route(name: "append to resumable upload", method: .PATCH, pattern: "/api/videos/uploads/{id}", path: { $0.upload },
              headers: tus.merging(["Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"]) { $1 },
              bytes: Array(ContentServer.fakeMP4(size: 100).prefix(10)),
              expected: cells([401, 401, 401], [204, 204, 204], [404, 404, 404], [404, 404, 404])),
        Route(name: "abandon resumable upload", method: .DELETE, pattern: "/api/videos/uploads/{id}", path: { $0.upload }, headers: tus,
              expected: cells([401, 401, 401], [204, 204, 204], [404, 404, 404], [404, 404, 404])),
    ]

    static let tus = ["Tus-Resumable": "1.0.0"]

    /// The table has a row for every playlist and video route the service has, and no other:
    /// a new route fails here until the table says who may use it.
    @Test func theTableCoversEveryPlaylistAndVideoRoute() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "content") { url in
            let runtime = try ServiceRuntime(config: ServiceConfig(name: "content", defaultPort: 0, reader: TestEnvironment.reader(databaseURL: url)))
            let (router, _) = try buildRouter(runtime: runtime, config: ContentConfig(reader: TestEnvironment.reader(databaseURL: url)))
            let prefixes = ["/api/playlists", "/api/videos", "/api/users"]
            let served = Set(router.routes.map { "\($0.method) \($0.path)" }.filter { route in
                prefixes.contains { route.contains(" \($0)") }
            })
            let tabled = Set(Self.routes.map { "\($0.method.rawValue) \($0.pattern)" })
            #expect(served == tabled, "served but not in the table: \(served.subtracting(tabled).sorted()); in the table but not served: \(tabled.subtracting(served).sorted())")
        }
    }

    @Test(arguments: routes)
    func everyCellAnswersAsTheTableSays(_ route: Route) async throws {
        try await ContentServer.run(["CONTENT_UPLOADS_OPEN_PER_USER": "1000"]) { server in
            let owner = try await server.caller()
            let callers: [Who: ContentServer.Caller?] = [
                .anonymous: nil, .owner: owner, .other: try await server.caller(), .admin: try await server.caller(role: .admin),
            ]
            var failures: [String] = []
            for (column, visibility) in Visibility.allCases.enumerated() {
                for who in Who.allCases {
                    let scene = try await makeScene(server, owner: owner, visibility: visibility)
                    let second = try await server.video(as: owner)
                    let caller = callers[who]!
                    var status: Int
                    if route.upload {
                        status = try await server.upload(as: caller).status
                    } else {
                        let json = body(route, second: second)
                        let reply = try await server.call(route.method, route.path(scene), json: json,
                                                          bytes: route.bytes.map { ByteBuffer(bytes: $0) }, headers: route.headers, as: caller)
                        status = reply.status
                        if route.name.hasPrefix("list"), route.name != "list my likes", status == 200 {
                            let ids = (reply.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                            if !ids.contains(route.name == "list videos" ? scene.video : scene.playlist) { status = 0 }
                        }
                    }
                    let expected = route.expected[who]![column]
                    if status != expected {
                        failures.append("by \(who.rawValue) on \(visibility.rawValue): \(status), expected \(expected)")
                    }
                }
            }
            #expect(failures.isEmpty, "\(route.name): \(failures.joined(separator: "\n"))")
        }
    }

    func body(_ route: Route, second: String) -> [String: Any]? {
        guard let template = route.json else { return nil }
        var json: [String: Any] = [:]
        for (key, value) in template {
            if value == "<second>" {
                json[key] = second
            } else if let number = Int(value) {
                json[key] = number
            } else {
                json[key] = value
            }
        }
        return json
    }

    func makeScene(_ server: ContentServer, owner: ContentServer.Caller, visibility: Visibility) async throws -> Scene {
        let video = try await server.video(as: owner)
        let changed = try await server.call(.PATCH, "/api/videos/\(video)", json: ["visibility": visibility.rawValue], as: owner)
        #expect(changed.status == 200 && changed["visibility"] == visibility.rawValue)
        let created = try await server.call(.POST, "/api/playlists", json: ["title": "mine", "visibility": visibility.rawValue], as: owner)
        let playlist = try #require(created["id"])
        let added = try await server.call(.POST, "/api/playlists/\(playlist)/items", json: ["videoId": video], as: owner)
        let item = try #require(((added.json["items"] as? [[String: Any]])?.first?["id"]) as? String)
        let upload = try await server.call(.POST, "/api/videos/uploads",
                                           headers: Self.tus.merging(["Upload-Length": "100", "Upload-Metadata": "title dGl0bGU="]) { $1 }, as: owner)
        return Scene(playlist: playlist, item: item, video: video, owner: owner.id, upload: try #require(upload.header("Location")))
    }
}
