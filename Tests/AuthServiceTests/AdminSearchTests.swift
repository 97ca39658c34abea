import Foundation
import NIOHTTP1
import PostgresNIO
import Shared
import Testing
import TestSupport
@testable import AuthService

/// The administrators' account search and account view, through HTTP: what each kind of query
/// finds, paging, the ban with who and when, and the audit events every look-up writes.
@Suite struct AdminSearchTests {
    /// An ADMIN's access token and id, on `server`.
    static func admin(_ server: AuthServer) async throws -> (token: String, id: String) {
        let email = AuthServer.newEmail()
        try await server.signup(email, nickname: "Moderator")
        try await server.promote(email)
        let login = try await server.login(email)
        let token = try #require(login["accessToken"])
        let id = try #require((login.json["user"] as? [String: Any])?["id"] as? String)
        return (token, id)
    }

    /// Signs up `email` with `nickname`; returns the new user's id.
    static func account(_ server: AuthServer, _ email: String, nickname: String) async throws -> String {
        let reply = try await server.signup(email, nickname: nickname)
        guard reply.status == 201, let id = reply["id"] else { throw TestFailure("signup answered \(reply.status): \(reply.body)") }
        return id
    }

    static func search(_ server: AuthServer, _ query: String?, size: Int? = nil, cursor: String? = nil, token: String) async throws -> HTTPReply {
        var parts: [String] = []
        if let query { parts.append("query=\(escaped(query))") }
        if let size { parts.append("size=\(size)") }
        if let cursor { parts.append("cursor=\(escaped(cursor))") }
        return try await server.call(.GET, "/api/admin/users" + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&")), token: token)
    }

    static func ids(_ reply: HTTPReply) -> [String] {
        (reply.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test func findsAccountsByEmailPrefixNicknameOrID() async throws {
        try await AuthServer.run { server in
            let admin = try await Self.admin(server)
            let tag = UUID().uuidString.prefix(6).lowercased()
            let ann = try await Self.account(server, "ann.\(tag)@example.com", nickname: "Ann")
            let annette = try await Self.account(server, "x\(tag)@example.com", nickname: "annette_\(tag)")
            let bob = try await Self.account(server, "bob.\(tag)@example.org", nickname: "Bob 50%")
            let search = { (query: String?) in Set(Self.ids(try await Self.search(server, query, token: admin.token))) }

            // An address's beginning, with or without the @.
            #expect(try await search("ANN.\(tag)@exa") == [ann])
            #expect(try await search("ann.\(tag)") == [ann])
            #expect(try await search("bob.\(tag)@example.com").isEmpty)
            // A nickname's beginning, in any case; never its middle.
            #expect(try await search("ANNETTE_\(tag)") == [annette])
            #expect(try await search("nette_\(tag)").isEmpty)
            // LIKE's own characters are taken literally.
            #expect(try await search("Bob 50%") == [bob])
            #expect(try await search("Bob 5_%").isEmpty)
            #expect(try await search("annette%\(tag)").isEmpty)
            // An id finds that account only, in any case.
            #expect(try await search(bob.uppercased()) == [bob])
            #expect(try await search(UUID().uuidString).isEmpty)
            // Empty (or blank) lists every account.
            #expect(try await search(nil) == [admin.id, ann, annette, bob])
            #expect(try await search("  ") == [admin.id, ann, annette, bob])

            let item = try #require((try await Self.search(server, bob, token: admin.token).json["items"] as? [[String: Any]])?.first)
            #expect(item["email"] as? String == "bob.\(tag)@example.org")
            #expect(item["nickname"] as? String == "Bob 50%")
            #expect(item["role"] as? String == "USER")
            #expect(item["emailVerified"] as? Bool == false)
            #expect(item["banned"] is NSNull)
            #expect(item["createdAt"] is String)
            #expect(item["passwordHash"] == nil)
        }
    }

    @Test func refusesWhatItCannotRead() async throws {
        try await AuthServer.run { server in
            let admin = try await Self.admin(server)
            let long = try await Self.search(server, String(repeating: "a", count: AccountQuery.maxLength + 1), token: admin.token)
            #expect(long.status == 422 && long.errorCode == "invalid_query")
            #expect((long.json["error"] as? [String: Any])?["message"] as? String ?? "" == "query must be at most 254 characters (Unicode code points) and 1016 bytes of UTF-8")
            #expect(try await Self.search(server, String(repeating: "a", count: AccountQuery.maxLength), token: admin.token).status == 200)
            #expect(try await Self.search(server, "a\u{0}b", token: admin.token).errorCode == "invalid_query")
            #expect(try await Self.search(server, nil, size: 0, token: admin.token).errorCode == "invalid_size")
            #expect(try await Self.search(server, nil, size: 101, token: admin.token).errorCode == "invalid_size")
            #expect(try await Self.search(server, nil, size: 100, token: admin.token).status == 200)
            #expect(try await server.call(.GET, "/api/admin/users?page=2", token: admin.token).errorCode == "invalid_page")
        }
    }

    /// Newest first, every account once, across pages that never end on an empty one; a cursor
    /// that was edited, or that belongs to another query, is a 400 naming the cursor.
    @Test func pagesNewestFirstByCursor() async throws {
        try await AuthServer.run { server in
            let admin = try await Self.admin(server)
            var created = [admin.id]
            for index in 0..<5 {
                created.append(try await Self.account(server, "page\(index).\(UUID().uuidString.prefix(6).lowercased())@example.com", nickname: "Pager \(index)"))
            }
            for size in [2, 4, 6, 7] {
                var seen: [String] = [], cursor: String? = nil, pages = 0
                repeat {
                    let reply = try await Self.search(server, nil, size: size, cursor: cursor, token: admin.token)
                    #expect(reply.status == 200)
                    let ids = Self.ids(reply)
                    #expect(!ids.isEmpty, "an empty page at size \(size)")
                    seen += ids
                    cursor = reply["nextCursor"]
                    #expect(cursor != nil || reply.json["nextCursor"] is NSNull, "nextCursor is written as null at the end")
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(seen == created.reversed(), "size \(size)")
                #expect(pages == (created.count + size - 1) / size, "size \(size)")
            }

            // A cursor of the nickname search continues it; edited, or on another query, it is refused.
            let first = try await Self.search(server, "pager", size: 2, token: admin.token)
            let next = try #require(first["nextCursor"])
            #expect(Self.ids(try await Self.search(server, "pager", size: 2, cursor: next, token: admin.token)).count == 2)
            var edited = Array(next)
            edited[2] = edited[2] == "A" ? "B" : "A"
            let tampered = try await Self.search(server, "pager", size: 2, cursor: String(edited), token: admin.token)
            #expect(tampered.status == 400 && tampered.errorCode == "invalid_cursor")
            #expect(((tampered.json["error"] as? [String: Any])?["message"] as? String)?.contains("cursor") == true)
            #expect(try await Self.search(server, "page", size: 2, cursor: next, token: admin.token).errorCode == "invalid_cursor")
            #expect(try await Self.search(server, nil, size: 2, cursor: "garbage", token: admin.token).errorCode == "invalid_cursor")
        }
    }

    /// The account view, and the same in the search: a ban shows its reason, the administrator who
    /// gave it and since when; an unban clears all three.
    @Test func showsWhoBannedAndWhen() async throws {
        try await AuthServer.run { server in
            let admin = try await Self.admin(server)
            let email = AuthServer.newEmail()
            let user = try await Self.account(server, email, nickname: "Spammer")
            let path = "/api/admin/users/\(user)"
            let before = try await server.call(.GET, path, token: admin.token)
            #expect(before.status == 200 && before["id"] == user && before["email"] == email && before.json["banned"] is NSNull)
            #expect(try await server.call(.GET, "/api/admin/users/\(UUID())", token: admin.token).status == 404)
            #expect(try await server.call(.GET, "/api/admin/users/not-a-uuid", token: admin.token).status == 404)

            let start = Date().addingTimeInterval(-2)
            #expect(try await server.call(.POST, path + "/ban", json: ["reason": "spam links"], token: admin.token).status == 204)
            // The id in any case.
            let banned = try #require(try await server.call(.GET, "/api/admin/users/\(user.uppercased())", token: admin.token).json["banned"] as? [String: Any])
            #expect(banned["reason"] as? String == "spam links")
            #expect(banned["by"] as? String == admin.id)
            let at = try #require((banned["at"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(at >= start && at <= Date().addingTimeInterval(2))
            let listed = try #require((try await Self.search(server, email, token: admin.token).json["items"] as? [[String: Any]])?.first)
            #expect((listed["banned"] as? [String: Any])?["by"] as? String == admin.id)

            #expect(try await server.call(.POST, path + "/unban", token: admin.token).status == 204)
            #expect(try await server.call(.GET, path, token: admin.token).json["banned"] is NSNull)
            let stored = try await server.withDatabase { db in
                try await db.query("SELECT banned_by IS NULL AND banned_at IS NULL AND ban_reason IS NULL FROM auth.users WHERE id = \(user)::uuid",
                                   logger: TestEnvironment.logger).first?.decode(Bool.self)
            }
            #expect(stored == true)
        }
    }

    /// Every search page and every account view writes its audit event before it is answered:
    /// the query's kind, never its text.
    @Test func everyLookUpIsAudited() async throws {
        try await AuthServer.run { server in
            let admin = try await Self.admin(server)
            let email = AuthServer.newEmail()
            let user = try await Self.account(server, email, nickname: "Looked Up")
            #expect(try await Self.search(server, email, token: admin.token).status == 200)
            #expect(try await Self.search(server, "looked", token: admin.token).status == 200)
            #expect(try await Self.search(server, user, token: admin.token).status == 200)
            #expect(try await Self.search(server, nil, token: admin.token).status == 200)
            #expect(try await server.call(.GET, "/api/admin/users/\(user)", token: admin.token).status == 200)
            // Refused requests serve nothing and record nothing.
            #expect(try await Self.search(server, nil, size: 0, token: admin.token).status == 422)

            let events = try await server.withDatabase { db in
                try await db.query("""
                    SELECT payload::text FROM queue.jobs WHERE kind = 'audit.event' AND payload->>'action' LIKE 'admin.%' ORDER BY id
                    """, logger: TestEnvironment.logger).map { try JSONDecoder().decode(AuditEvent.self, from: Data(try $0.decode(String.self).utf8)) }
            }
            #expect(events.map(\.action) == ["admin.users_searched", "admin.users_searched", "admin.users_searched", "admin.users_searched",
                                             "admin.user_viewed"])
            #expect(events.allSatisfy { $0.actorID == admin.id })
            #expect(events.prefix(4).map { $0.payload["kind"] } == ["email", "text", "id", "all"])
            #expect(events.prefix(4).map { $0.payload["results"] } == ["1", "1", "1", "2"])
            #expect(events[2].targetType == "user" && events[2].targetID == user)
            #expect(events[0].targetID == nil)
            #expect(events[4].targetType == "user" && events[4].targetID == user)
            let written = try await server.withDatabase { db in
                try await db.query("SELECT string_agg(payload::text, ' ') FROM queue.jobs WHERE kind = 'audit.event'", logger: TestEnvironment.logger)
                    .first?.decode(String.self) ?? ""
            }
            #expect(!written.contains(email) && !written.contains("looked"), "the query's text is not recorded")
        }
    }
}

/// Each kind of query can be read from its index (migration 0005) with the values bound as the
/// service binds them: Postgres plans an unnamed statement with its parameters' values, so a
/// bound prefix still reaches a `text_pattern_ops` index.
@Suite struct AccountSearchIndexTests {
    @Test(arguments: [("ann@ex", "users_email_prefix"), ("Ann", "users_nickname_prefix"), ("", "users_newest")])
    func eachKindOfQueryHasAnIndex(_ text: String, _ index: String) async throws {
        try await AuthServer.run { server in
            let plan = try await server.withDatabase { db in
                try await db.withTransaction(logger: TestEnvironment.logger) { connection in
                    // A scratch table is small enough to scan: ask whether an index can serve.
                    try await connection.query("SET LOCAL enable_seqscan = off", logger: TestEnvironment.logger)
                    let statement = UserStore.searchStatement(try AccountQuery(text), page: PageRequest(size: 20, position: .offset(0)))
                    return try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + statement.sql, binds: statement.binds),
                                                      logger: TestEnvironment.logger).collect().map { try $0.decode(String.self) }.joined(separator: "\n")
                }
            }
            #expect(plan.contains(index), "\(plan)")
        }
    }
}

/// Every admin route of AuthService × {anonymous, USER, ADMIN}: 401, 403, and the route's own
/// success. A new admin route fails here until the table has a row for it.
@Suite struct AdminAccessMatrixTests {
    struct Route: Sendable, CustomTestStringConvertible {
        var method: HTTPMethod
        /// The route as the API document has it.
        var pattern: String
        var path: @Sendable (_ userID: String) -> String
        var json: [String: String]? = nil
        var admin: Int

        var testDescription: String { "\(method) \(pattern)" }
    }

    static let routes: [Route] = [
        Route(method: .GET, pattern: "/api/admin/users", path: { _ in "/api/admin/users" }, admin: 200),
        Route(method: .GET, pattern: "/api/admin/users/{id}", path: { "/api/admin/users/\($0)" }, admin: 200),
        Route(method: .POST, pattern: "/api/admin/users/{id}/ban", path: { "/api/admin/users/\($0)/ban" }, json: ["reason": "spam"], admin: 204),
        Route(method: .POST, pattern: "/api/admin/users/{id}/unban", path: { "/api/admin/users/\($0)/unban" }, admin: 204),
    ]

    /// The document is the router's routes (`APIDocument` holds them together at start-up).
    @Test func theTableCoversEveryAdminRoute() throws {
        let (undocumented, unrouted) = try APIDocument(bundle: resourceBundle).mismatches(routes: Self.routes.map { ($0.method.rawValue, $0.pattern) })
        #expect(undocumented.isEmpty, "in the table but not served: \(undocumented)")
        #expect(unrouted.filter { $0.contains(" /api/admin") }.isEmpty, "served but not in the table: \(unrouted)")
    }

    @Test(arguments: routes)
    func anonymousIs401UserIs403AdminPasses(_ route: Route) async throws {
        try await AuthServer.run { server in
            let admin = try await AdminSearchTests.admin(server)
            let user = try await server.session()
            let path = route.path(user.userID)
            #expect(try await server.call(route.method, path, json: route.json).status == 401)
            let forbidden = try await server.call(route.method, path, json: route.json, token: user.access)
            #expect(forbidden.status == 403 && forbidden.errorCode == "forbidden")
            #expect(try await server.call(route.method, path, json: route.json, token: admin.token).status == route.admin)
        }
    }
}

/// A query-string value, percent-encoded.
func escaped(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
}
