import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport
@testable import ContentService

/// Every playlist and video route × {anonymous, owner, other user, ADMIN} × {public, unlisted,
/// private}, with the exact status of each cell, from the one table below. Each cell runs on
/// fresh objects, so a delete in one cell cannot change another.
@Suite struct AccessMatrixTests {
    enum Who: String, CaseIterable { case anonymous, owner, other, admin }

    /// What a cell sees: a playlist of the owner's with one item, a video of the owner's.
    struct Scene: Sendable {
        var playlist: String
        var item: String
        var video: String
        var owner: String
    }

    struct Route: Sendable {
        var name: String
        var method: HTTPMethod
        var path: @Sendable (Scene) -> String
        var json: [String: String]? = nil
        var upload = false
        /// Expected status by caller, for public, unlisted and private.
        var expected: [Who: [Int]]
    }

    /// Statuses for anonymous, owner, other and admin, each for public, unlisted, private.
    static func cells(_ anonymous: [Int], _ owner: [Int], _ other: [Int], _ admin: [Int]) -> [Who: [Int]] {
        [.anonymous: anonymous, .owner: owner, .other: other, .admin: admin]
    }

    static let routes: [Route] = [
        Route(name: "show playlist", method: .GET, path: { "/api/playlists/\($0.playlist)" },
              expected: cells([200, 200, 404], [200, 200, 200], [200, 200, 404], [200, 200, 404])),
        Route(name: "update playlist", method: .PATCH, path: { "/api/playlists/\($0.playlist)" }, json: ["title": "renamed"],
              expected: cells([401, 401, 401], [200, 200, 200], [403, 403, 404], [403, 403, 404])),
        Route(name: "delete playlist", method: .DELETE, path: { "/api/playlists/\($0.playlist)" },
              expected: cells([401, 401, 401], [204, 204, 204], [403, 403, 404], [403, 403, 404])),
        Route(name: "add item", method: .POST, path: { "/api/playlists/\($0.playlist)/items" }, json: ["videoId": "<second>"],
              expected: cells([401, 401, 401], [201, 201, 201], [403, 403, 404], [403, 403, 404])),
        Route(name: "move item", method: .PATCH, path: { "/api/playlists/\($0.playlist)/items/\($0.item)" }, json: ["position": "1"],
              expected: cells([401, 401, 401], [200, 200, 200], [403, 403, 404], [403, 403, 404])),
        Route(name: "remove item", method: .DELETE, path: { "/api/playlists/\($0.playlist)/items/\($0.item)" },
              expected: cells([401, 401, 401], [204, 204, 204], [403, 403, 404], [403, 403, 404])),
        // 200 when the playlist is in the user's listing, 0 when the listing leaves it out.
        Route(name: "list user's playlists", method: .GET, path: { "/api/users/\($0.owner)/playlists" },
              expected: cells([200, 0, 0], [200, 200, 200], [200, 0, 0], [200, 0, 0])),
        // Videos have no visibility of their own: the columns are the same.
        Route(name: "show video", method: .GET, path: { "/api/videos/\($0.video)" },
              expected: cells([200, 200, 200], [200, 200, 200], [200, 200, 200], [200, 200, 200])),
        Route(name: "list videos", method: .GET, path: { _ in "/api/videos" },
              expected: cells([200, 200, 200], [200, 200, 200], [200, 200, 200], [200, 200, 200])),
        Route(name: "delete video", method: .DELETE, path: { "/api/videos/\($0.video)" },
              expected: cells([401, 401, 401], [204, 204, 204], [403, 403, 403], [204, 204, 204])),
        Route(name: "play video", method: .POST, path: { "/api/videos/\($0.video)/plays" },
              expected: cells([204, 204, 204], [204, 204, 204], [204, 204, 204], [204, 204, 204])),
        Route(name: "upload video", method: .POST, path: { _ in "/api/videos" }, upload: true,
              expected: cells([401, 401, 401], [202, 202, 202], [202, 202, 202], [202, 202, 202])),
        Route(name: "create playlist", method: .POST, path: { _ in "/api/playlists" }, json: ["title": "new"],
              expected: cells([401, 401, 401], [201, 201, 201], [201, 201, 201], [201, 201, 201])),
    ]

    @Test func everyCellAnswersAsTheTableSays() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let callers: [Who: ContentServer.Caller?] = [
                .anonymous: nil, .owner: owner, .other: try await server.caller(), .admin: try await server.caller(role: .admin),
            ]
            var failures: [String] = []
            for route in Self.routes {
                for (column, visibility) in PlaylistVisibility.allCases.enumerated() {
                    for who in Who.allCases {
                        let scene = try await makeScene(server, owner: owner, visibility: visibility)
                        let second = try await server.video(as: owner)
                        let caller = callers[who]!
                        var status: Int
                        if route.upload {
                            status = try await server.upload(as: caller).status
                        } else {
                            let json = body(route, second: second)
                            let reply = try await server.call(route.method, route.path(scene), json: json, as: caller)
                            status = reply.status
                            if route.name == "list user's playlists", status == 200 {
                                let ids = (reply.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                                if !ids.contains(scene.playlist) { status = 0 }
                            }
                        }
                        let expected = route.expected[who]![column]
                        if status != expected {
                            failures.append("\(route.name) by \(who.rawValue) on \(visibility.rawValue): \(status), expected \(expected)")
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
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

    func makeScene(_ server: ContentServer, owner: ContentServer.Caller, visibility: PlaylistVisibility) async throws -> Scene {
        let video = try await server.video(as: owner)
        let created = try await server.call(.POST, "/api/playlists", json: ["title": "mine", "visibility": visibility.rawValue], as: owner)
        let playlist = try #require(created["id"])
        let added = try await server.call(.POST, "/api/playlists/\(playlist)/items", json: ["videoId": video], as: owner)
        let item = try #require(((added.json["items"] as? [[String: Any]])?.first?["id"]) as? String)
        return Scene(playlist: playlist, item: item, video: video, owner: owner.id)
    }
}
