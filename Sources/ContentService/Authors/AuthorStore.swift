import Foundation
import Logging
import PostgresNIO
import Shared

/// ContentService's copy of the users it knows (`content.authors`): every account AuthService
/// announced, and anyone who wrote, uploaded or made a playlist before the announcement came.
struct AuthorStore: Sendable {
    let database: Database
    let logger: Logger

    /// What a listing of a user's things needs to know of them. A deleted account is unknown.
    enum Standing: Sendable { case unknown, active, banned }

    func standing(of userID: String) async throws -> Standing {
        guard let (banned, deleted) = try await database.query("""
            SELECT banned, deleted FROM content.authors WHERE id = \(userID)::uuid
            """, logger: logger).first?.decode((Bool, Bool).self), !deleted
        else { return .unknown }
        return banned ? .banned : .active
    }

    /// How many posts, videos and playlists a user owns, hidden, private or unfinished ones too:
    /// what an administrator looking at the account is told. Each count reads an index by owner.
    struct Holdings: Codable, Sendable, Equatable {
        var posts: Int64
        var videos: Int64
        var playlists: Int64
    }

    func holdings(of userID: UUID) async throws -> Holdings {
        let row = try await database.query("""
            SELECT (SELECT count(*) FROM content.posts WHERE author_id = \(userID) AND visible)
                 + (SELECT count(*) FROM content.posts WHERE author_id = \(userID) AND NOT visible),
                   (SELECT count(*) FROM content.videos WHERE owner_id = \(userID.uuidString.lowercased())),
                   (SELECT count(*) FROM content.playlists WHERE owner_id = \(userID))
            """, logger: logger)
        let (posts, videos, playlists) = try row[0].decode((Int64, Int64, Int64).self)
        return Holdings(posts: posts, videos: videos, playlists: playlists)
    }

    static let deleted = APIError.unauthorized("The account was deleted", code: "account_deleted")

    /// Makes sure `userID` has a row, in the transaction of anything they make or like: their
    /// announcement may not have arrived from AuthService yet, and its message fills the row in.
    /// Holds the row until the commit, so an account's erasure waits for the write and then
    /// erases it too; a write after the erasure finds the tombstone and is refused (401).
    static func ensure(_ userID: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO content.authors (id) VALUES (\(userID)::uuid) ON CONFLICT DO NOTHING
            """, logger: logger)
        let rows = try await connection.query("""
            SELECT deleted FROM content.authors WHERE id = \(userID)::uuid FOR SHARE
            """, logger: logger).collect()
        if try rows.first?.decode(Bool.self) == true { throw deleted }
    }
}
