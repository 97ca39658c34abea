import NIOConcurrencyHelpers
import PostgresNIO

/// Carries one pooled connection from the child task that leases it to the caller, so the wait
/// for a lease can be bounded without bounding the caller's queries: postgres-nio's pool has no
/// lease timeout, and while Postgres is unreachable a lease waits until its circuit breaker trips
/// (about a minute). The lender keeps the lease until the caller gives the connection back.
final class ConnectionHandoff: Sendable {
    private struct State {
        var borrower: CheckedContinuation<PostgresConnection, any Error>?
        /// A lease (or its failure) that arrived before the caller asked for it.
        var early: Result<PostgresConnection, any Error>?
        /// The caller stopped waiting (timeout, cancellation): a later lease goes straight back.
        var abandoned = false
        var given = false
        var returned = false
        var lender: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())

    /// The caller's side: the leased connection, or why there is none.
    func borrow() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            let early: Result<PostgresConnection, any Error>? = state.withLockedValue { state in
                if state.abandoned { return .failure(LeaseTimedOut()) }
                guard let early = state.early else {
                    state.borrower = continuation
                    return nil
                }
                state.early = nil
                if case .success = early { state.given = true }
                return early
            }
            if let early { continuation.resume(with: early) }
        }
    }

    /// The lender's side, inside the pool's `withConnection`: hands `connection` over and waits
    /// until it comes back. Returns at once when the caller has stopped waiting.
    func lend(_ connection: PostgresConnection) async {
        let taken: Bool = state.withLockedValue { state in
            if state.abandoned { return false }
            if let borrower = state.borrower {
                state.borrower = nil
                state.given = true
                borrower.resume(returning: connection)
            } else {
                state.early = .success(connection)
            }
            return true
        }
        guard taken else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = state.withLockedValue { state in
                if state.returned || state.abandoned { return true }
                state.lender = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The lease itself failed (Postgres unreachable, the pool shut down, the request cancelled).
    func fail(_ error: any Error) {
        let borrower: CheckedContinuation<PostgresConnection, any Error>? = state.withLockedValue { state in
            if state.abandoned || state.given { return nil }
            guard let borrower = state.borrower else {
                state.early = .failure(error)
                return nil
            }
            state.borrower = nil
            return borrower
        }
        borrower?.resume(throwing: error)
    }

    /// The deadline passed: the caller stops waiting unless the connection is already theirs. A
    /// connection the lender parked for a caller who had not asked yet (a starved task) goes back
    /// to the pool: its lender must not wait for a give-back that will never come.
    func timeOut() {
        let (borrower, lender) = state.withLockedValue { state -> (CheckedContinuation<PostgresConnection, any Error>?, CheckedContinuation<Void, Never>?) in
            if state.given { return (nil, nil) }
            state.abandoned = true
            state.early = nil
            defer {
                state.borrower = nil
                state.lender = nil
            }
            return (state.borrower, state.lender)
        }
        borrower?.resume(throwing: LeaseTimedOut())
        lender?.resume()
    }

    /// The caller is done with the connection: the lender may release the lease.
    func giveBack() {
        let lender: CheckedContinuation<Void, Never>? = state.withLockedValue { state in
            state.returned = true
            defer { state.lender = nil }
            return state.lender
        }
        lender?.resume()
    }
}

/// No pooled connection became free within the acquisition deadline.
struct LeaseTimedOut: Error, CustomStringConvertible {
    var description: String { "no connection within the acquisition deadline" }
}
