import ArgumentParser
import Configuration
import Shared
import Foundation
import Hummingbird
import HummingbirdCore

/// Prints the statement ContentService sends for a listing or a search, values written in, for
/// EXPLAIN and pgbench: benchmarks then time the service's own SQL, not a copy of it.
struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Print the SQL of a listing or search request (for EXPLAIN and benchmarks).")

    enum Endpoint: String, ExpressibleByArgument {
        case posts, search
    }

    @Argument(help: "posts or search") var endpoint: Endpoint
    @Argument(help: "The request's query string, e.g. 'sort=likes&tag=swift&page=3'.") var query = ""
    @Option(help: "Continue after this sort key (VALUE:ID), as a cursor would.") var after: String?

    func run() throws {
        let parameters = URI("/?" + query).queryParameters
        let cursors = PageCursor(secret: Data("sql".utf8))
        let config = ContentConfig(reader: .environment())
        var position: PagePosition?
        if let after {
            let parts = after.split(separator: ":")
            guard parts.count == 2, let value = Int64(parts[0]), let id = Int64(parts[1]) else {
                throw ValidationError("--after is VALUE:ID")
            }
            position = .after(SortKey(value: value, id: id))
        }
        switch endpoint {
        case .posts:
            var listing = try PostListing(query: parameters, limits: config.paging, postLimits: config.posts, cursors: cursors)
            if let position { listing.page.position = position }
            print(listing.sql.inlined)
        case .search:
            var search = try PostSearch(query: parameters, limits: config.paging, relevanceCandidates: config.relevanceCandidates, cursors: cursors)
            if let position { search.page.position = position }
            guard let sql = search.sql(relevanceCandidates: config.relevanceCandidates) else {
                throw ValidationError("the keyword has nothing to search for")
            }
            print(sql.inlined)
        }
    }
}
