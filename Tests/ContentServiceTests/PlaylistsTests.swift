import Foundation
import Testing
import TestSupport
@testable import ContentService
import Shared

/// Playlists' own behaviour: items in order, limits, and the per-user listing.
@Suite struct PlaylistsTests {
    func ids(_ reply: HTTPReply) -> [String] {
        (reply.json["items"] as? [[String: Any]])?.compactMap { ($0["video"] as? [String: Any])?["id"] as? String } ?? []
    }

    @Test func itemsAreAddedMovedAndRemovedInOrder() async throws {
        try await ContentServer.run(["CONTENT_PLAYLIST_MAX_ITEMS": "3"]) { server in
            let owner = try await server.caller()
            let created = try await server.call(.POST, "/api/playlists", json: ["title": "  trip  ", "description": "summer", "visibility": "public"], as: owner)
            #expect(created.status == 201 && created["title"] == "trip" && created["visibility"] == "public")
            let id = try #require(created["id"])
            #expect(created.header("Location") == "/api/playlists/\(id)")
            var videos: [String] = []
            for _ in 0..<4 { videos.append(try await server.video(as: owner)) }
            for video in videos.prefix(3) {
                #expect(try await server.call(.POST, "/api/playlists/\(id)/items", json: ["videoId": video], as: owner).status == 201)
            }
            let full = try await server.call(.POST, "/api/playlists/\(id)/items", json: ["videoId": videos[3]], as: owner)
            #expect(full.status == 422 && full.errorCode == "playlist_full")
            let twice = try await server.call(.POST, "/api/playlists/\(id)/items", json: ["videoId": videos[0]], as: owner)
            #expect(twice.status == 409 && twice.errorCode == "already_in_playlist")

            var shown = try await server.call(.GET, "/api/playlists/\(id)")
            #expect(ids(shown) == Array(videos.prefix(3)))
            let items = (shown.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            // The last to the front.
            shown = try await server.call(.PATCH, "/api/playlists/\(id)/items/\(items[2])", json: ["position": 1], as: owner)
            #expect(ids(shown) == [videos[2], videos[0], videos[1]])
            #expect((shown.json["items"] as? [[String: Any]])?.compactMap { $0["position"] as? Int } == [1, 2, 3])
            let far = try await server.call(.PATCH, "/api/playlists/\(id)/items/\(items[2])", json: ["position": 4], as: owner)
            #expect(far.status == 422 && far.errorCode == "invalid_position")
            #expect(try await server.call(.DELETE, "/api/playlists/\(id)/items/\(items[0])", as: owner).status == 204)
            #expect(try await server.call(.DELETE, "/api/playlists/\(id)/items/\(items[0])", as: owner).status == 404)
            shown = try await server.call(.GET, "/api/playlists/\(id)")
            #expect(ids(shown) == [videos[2], videos[1]] && (shown.json["itemCount"] as? Int) == 2)
            #expect((shown.json["items"] as? [[String: Any]])?.compactMap { $0["position"] as? Int } == [1, 2])

            let actions = try await server.auditActions()
            for action in ["playlist.created", "playlist.item_added", "playlist.updated", "playlist.item_removed"] {
                #expect(actions.contains(action), "\(action)")
            }
            #expect(try await server.call(.DELETE, "/api/playlists/\(id)", as: owner).status == 204)
            #expect(try await server.call(.GET, "/api/playlists/\(id)", as: owner).status == 404)
            #expect(try await server.auditActions().contains("playlist.deleted"))
        }
    }

    @Test func badInputGetsAClearAnswer() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let cases: [([String: Any], String)] = [
                (["title": ""], "invalid_title"),
                (["title": String(repeating: "가", count: 201)], "invalid_title"),
                (["title": "x", "visibility": "friends"], "invalid_visibility"),
                (["title": "x", "description": String(repeating: "d", count: 2001)], "invalid_description"),
            ]
            for (body, code) in cases {
                let reply = try await server.call(.POST, "/api/playlists", json: body, as: owner)
                #expect(reply.status == 422 && reply.errorCode == code, "\(body): \(reply.body)")
            }
            // Private unless asked otherwise.
            let id = try #require(try await server.call(.POST, "/api/playlists", json: ["title": "x"], as: owner)["id"])
            #expect(try await server.call(.GET, "/api/playlists/\(id)")["visibility"] == nil)
            #expect(try await server.call(.GET, "/api/playlists/\(id)", as: owner)["visibility"] == "private")
            let unknown = try await server.call(.POST, "/api/playlists/\(id)/items", json: ["videoId": UUID().uuidString], as: owner)
            #expect(unknown.status == 422 && unknown.errorCode == "unknown_video")
            let garbage = try await server.call(.POST, "/api/playlists/\(id)/items", json: ["videoId": "1; DROP TABLE"], as: owner)
            #expect(garbage.status == 422)
            #expect(try await server.call(.PATCH, "/api/playlists/\(id)", json: [:], as: owner).errorCode == "empty_update")
            #expect(try await server.call(.GET, "/api/playlists/not-a-uuid").status == 404)
            #expect(try await server.call(.GET, "/api/users/not-a-uuid/playlists").status == 404)
        }
    }

    @Test func aVideoInSomeoneElsesPrivatePlaylistCanStillBeAdded() async throws {
        // Videos are public on their own; a private playlist holding one reveals nothing.
        try await ContentServer.run { server in
            let alice = try await server.caller()
            let bob = try await server.caller()
            let video = try await server.video(as: alice)
            let secret = try #require(try await server.call(.POST, "/api/playlists", json: ["title": "secret"], as: alice)["id"])
            #expect(try await server.call(.POST, "/api/playlists/\(secret)/items", json: ["videoId": video], as: alice).status == 201)
            let mine = try #require(try await server.call(.POST, "/api/playlists", json: ["title": "bob's"], as: bob)["id"])
            let added = try await server.call(.POST, "/api/playlists/\(mine)/items", json: ["videoId": video], as: bob)
            #expect(added.status == 201 && ids(added) == [video])
        }
    }

    @Test func aUsersListingPagesNewestFirst() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            var made: [String] = []
            for index in 0..<5 {
                let visibility = index == 2 ? "private" : index == 3 ? "unlisted" : "public"
                made.append(try #require(try await server.call(.POST, "/api/playlists", json: ["title": "p\(index)", "visibility": visibility], as: owner)["id"]))
            }
            func page(_ query: String, as caller: ContentServer.Caller?) async throws -> (ids: [String], next: String?) {
                let reply = try await server.call(.GET, "/api/users/\(owner.id)/playlists\(query)", as: caller)
                #expect(reply.status == 200)
                return ((reply.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? [], reply.json["nextCursor"] as? String)
            }
            /// Every page from the first, following nextCursor until it is null.
            func all(size: Int, as caller: ContentServer.Caller?) async throws -> [[String]] {
                var pages: [[String]] = []
                var next: String? = ""
                while let cursor = next {
                    let (ids, following) = try await page("?size=\(size)" + (cursor.isEmpty ? "" : "&cursor=\(cursor)"), as: caller)
                    pages.append(ids)
                    next = following
                }
                return pages
            }
            #expect(try await page("", as: owner) == (Array(made.reversed()), nil))
            #expect(try await page("", as: nil) == ([made[4], made[1], made[0]], nil))
            #expect(try await all(size: 2, as: owner) == [[made[4], made[3]], [made[2], made[1]], [made[0]]])
            #expect(try await all(size: 3, as: nil) == [[made[4], made[1], made[0]]], "no empty page after a full last one")
            #expect(try await all(size: 1, as: nil) == [[made[4]], [made[1]], [made[0]]])
            // By cursor only; a cursor of the owner's listing does not continue someone else's.
            #expect(try await server.call(.GET, "/api/users/\(owner.id)/playlists?size=2&page=2", as: owner).status == 422)
            let ownersCursor = try #require(try await page("?size=2", as: owner).next)
            #expect(try await server.call(.GET, "/api/users/\(owner.id)/playlists?size=2&cursor=\(ownersCursor)").status == 400)
            #expect(try await server.call(.GET, "/api/users/\(owner.id)/playlists?size=101").status == 422)
        }
    }

    /// `GET /api/playlists` lists everyone's public playlists, newest first, none of a banned
    /// owner's; `me` names the caller wherever a user id goes; a user nobody knows is a 404.
    @Test func publicListingsMeAndUnknownUsers() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let other = try await server.caller()
            var made: [String: String] = [:]
            for visibility in ["public", "unlisted", "private"] {
                let id: String = try #require(try await server.call(.POST, "/api/playlists", json: ["title": visibility, "visibility": visibility], as: owner)["id"])
                made[visibility] = id
            }
            let theirs = try #require(try await server.call(.POST, "/api/playlists", json: ["title": "theirs", "visibility": "public"], as: other)["id"])
            func ids(_ path: String, as caller: ContentServer.Caller? = nil) async throws -> [String] {
                let reply = try await server.call(.GET, path, as: caller)
                #expect(reply.status == 200, "\(path): \(reply.status)")
                return (reply.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            #expect(try await ids("/api/playlists") == [theirs, made["public"]!])
            #expect(try await ids("/api/playlists", as: owner) == [theirs, made["public"]!], "the public listing is public ones only, also for their owner")
            let first = try await server.call(.GET, "/api/playlists?size=1")
            let cursor = try #require(first.json["nextCursor"] as? String)
            #expect(try await ids("/api/playlists?size=1&cursor=\(cursor)") == [made["public"]!])

            #expect(try await ids("/api/users/me/playlists", as: owner).count == 3)
            #expect(try await ids("/api/users/me/playlists", as: other) == [theirs])
            #expect(try await server.call(.GET, "/api/users/me/playlists").status == 401)
            let newcomer = try await server.caller()
            #expect(try await ids("/api/users/me/playlists", as: newcomer).isEmpty, "a caller who made nothing yet has an empty listing")
            #expect(try await server.call(.GET, "/api/users/\(newcomer.id)/playlists").status == 404, "nobody knows them yet")
            #expect(try await server.call(.GET, "/api/users/\(UUID())/playlists", as: owner).status == 404)

            try await server.authorChanged(UserChange(userID: other.id, nickname: "n", banned: true, version: 1))
            let onlyPublic = try #require(made["public"])
            #expect(try await server.eventually {
                let reply = try await server.call(.GET, "/api/playlists")
                return (reply.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [onlyPublic]
            })
        }
    }
}
