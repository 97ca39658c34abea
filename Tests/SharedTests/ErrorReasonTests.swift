import Foundation
import PostgresNIO
import Testing
import TestSupport
@testable import Shared

/// What a log line or an operator command says about a database error: the SQLSTATE and
/// Postgres's message, never the bound values nor the server's DETAIL (which can quote a row).
@Suite struct ErrorReasonTests {
    @Test func aPostgresErrorIsItsStateAndMessage() async throws {
        try await TestEnvironment.withScratchDatabase(prefix: "reason") { url in
            try await TestEnvironment.withDatabase(url: url) { db in
                let secret = "bound-value-\(UUID())"
                do {
                    _ = try await db.query("SELECT * FROM nowhere WHERE name = \(secret)", logger: TestEnvironment.logger)
                    Issue.record("the query succeeded")
                } catch {
                    #expect(String(describing: error).contains("Generic description"), "postgres-nio's own description says nothing")
                    #expect(error.reason == #"Postgres 42P01: relation "nowhere" does not exist"#)
                    #expect(!error.reason.contains(secret))
                }
                do {
                    _ = try await db.query("SELECT \(secret)::uuid", logger: TestEnvironment.logger)
                    Issue.record("the cast succeeded")
                } catch {
                    #expect(error.reason == "Postgres 22P02: invalid input syntax for type uuid (value withheld)")
                }
                _ = try await db.query("CREATE TABLE t (id int PRIMARY KEY)", logger: TestEnvironment.logger)
                _ = try await db.query("INSERT INTO t VALUES (1)", logger: TestEnvironment.logger)
                do {
                    _ = try await db.query("INSERT INTO t VALUES (\(1))", logger: TestEnvironment.logger)
                    Issue.record("the duplicate was inserted")
                } catch {
                    #expect(error.reason.hasPrefix("Postgres 23505: duplicate key value violates unique constraint"))
                    #expect(!error.reason.contains("Key (id)=(1)"), "no DETAIL")
                }
            }
        }
    }

    @Test func otherErrorsAreTheirDescription() {
        struct Plain: Error, CustomStringConvertible { var description: String { "plain" } }
        #expect(Plain().reason == "plain")
        #expect(DependencyUnavailable("redis", underlying: Plain()).reason == "redis unavailable: plain")
    }
}
