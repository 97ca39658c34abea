import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import Testing
import TestSupport
@testable import Shared

/// The hand-over of a leased connection between the pool's child task and a caller bounded by a
/// deadline, in the orders a loaded machine can produce.
@Suite struct ConnectionHandoffTests {
    func withConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try PostgresConnection.Configuration(url: TestEnvironment.databaseURL), id: 1, logger: TestEnvironment.logger)
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// Lends `connection` as the pool's child task does; the flag turns true once the lender is
    /// done. Unstructured, so a lender that never returns fails a test instead of hanging the suite.
    func lend(_ connection: PostgresConnection, through handoff: ConnectionHandoff) -> NIOLockedValueBox<Bool> {
        let returned = NIOLockedValueBox(false)
        Task {
            await handoff.lend(connection)
            returned.withLockedValue { $0 = true }
        }
        return returned
    }

    /// Whether `flag` turns true within two seconds.
    func soon(_ flag: NIOLockedValueBox<Bool>) async throws -> Bool {
        for _ in 0..<100 where !flag.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
        return flag.withLockedValue { $0 }
    }

    /// The lease arrived before the caller asked for it (the caller's task was starved), then the
    /// deadline passed: the lender must go back to the pool, not wait forever with the connection.
    @Test func aConnectionParkedForACallerWhoGaveUpGoesBack() async throws {
        try await withConnection { connection in
            let handoff = ConnectionHandoff()
            let returned = lend(connection, through: handoff)
            try await Task.sleep(for: .milliseconds(100))  // parked, waiting for a give-back
            handoff.timeOut()
            #expect(try await soon(returned), "the lender still holds the lease")
            await #expect(throws: LeaseTimedOut.self) { _ = try await handoff.borrow() }
        }
    }

    /// The usual order: the caller waits, the lease arrives, the caller gives it back.
    @Test func aBorrowedConnectionIsKeptUntilItIsGivenBack() async throws {
        try await withConnection { connection in
            let handoff = ConnectionHandoff()
            let returned = lend(connection, through: handoff)
            let borrowed = try await handoff.borrow()
            handoff.timeOut()  // too late: the connection is the caller's
            _ = try await borrowed.query("SELECT 1", logger: TestEnvironment.logger).collect()
            try await Task.sleep(for: .milliseconds(50))
            #expect(!returned.withLockedValue { $0 })
            handoff.giveBack()
            #expect(try await soon(returned))
        }
    }
}
