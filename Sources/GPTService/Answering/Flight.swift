import NIOConcurrencyHelpers

/// One upstream answer in the making, shared by every caller who asked the same question
/// meanwhile: each subscriber gets the text so far at once, then the rest as it arrives, then the
/// outcome.
final class Flight: Sendable {
    enum Outcome: Sendable, Equatable {
        /// `source` is what the leader reports: `upstream` when this process asked, `merged` when
        /// it waited for another instance, or a cache layer the leader found it in.
        case answered(Answer, finishReason: String?)
        case failed(AskFailure)
        /// The leader gave up before asking (its own quota, say): ask again from the start.
        case retry
    }

    enum Update: Sendable, Equatable {
        case delta(String)
        case finished(Outcome)
    }

    private struct State {
        var text = ""
        var outcome: Outcome?
        var subscribers: [Int: AsyncStream<Update>.Continuation] = [:]
        var nextID = 0
        var whenFinished: [@Sendable (Outcome) -> Void] = []
    }

    private let state = NIOLockedValueBox(State())

    func subscribe() -> AsyncStream<Update> {
        let (stream, continuation) = AsyncStream.makeStream(of: Update.self, bufferingPolicy: .unbounded)
        let id: Int? = state.withLockedValue { state in
            if !state.text.isEmpty { continuation.yield(.delta(state.text)) }
            if let outcome = state.outcome {
                continuation.yield(.finished(outcome))
                continuation.finish()
                return nil
            }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                self?.state.withLockedValue { _ = $0.subscribers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    func publish(_ delta: String) {
        state.withLockedValue { state in
            guard state.outcome == nil else { return }
            state.text += delta
            for continuation in state.subscribers.values { continuation.yield(.delta(delta)) }
        }
    }

    func finish(_ outcome: Outcome) {
        let (subscribers, handlers) = state.withLockedValue { state -> ([AsyncStream<Update>.Continuation], [@Sendable (Outcome) -> Void]) in
            guard state.outcome == nil else { return ([], []) }
            state.outcome = outcome
            defer {
                state.subscribers.removeAll()
                state.whenFinished.removeAll()
            }
            return (Array(state.subscribers.values), state.whenFinished)
        }
        for continuation in subscribers {
            continuation.yield(.finished(outcome))
            continuation.finish()
        }
        for handler in handlers { handler(outcome) }
    }

    /// Runs `handler` with the outcome once it is decided (at once if it is), whatever becomes
    /// of the callers waiting for it: what must happen for every answer (the usage ledger) does
    /// not depend on a client staying connected.
    func whenFinished(_ handler: @escaping @Sendable (Outcome) -> Void) {
        let decided: Outcome? = state.withLockedValue { state in
            if let outcome = state.outcome { return outcome }
            state.whenFinished.append(handler)
            return nil
        }
        if let decided { handler(decided) }
    }

    var outcome: Outcome? { state.withLockedValue { $0.outcome } }

    /// The text published so far.
    var text: String { state.withLockedValue { $0.text } }

    /// The first sign of life: text, or the outcome if it came first.
    func firstUpdate() async -> Update? {
        var updates = subscribe().makeAsyncIterator()
        return await updates.next()
    }
}

/// The flights of this process by question digest: the first caller leads, the rest follow.
final class InFlightAnswers: Sendable {
    enum Role { case leader, follower }

    private let flights = NIOLockedValueBox([String: Flight]())

    /// A flight that has finished but not yet ended (its leader is between the two) is not
    /// joined: its outcome is already decided (and a good answer cached), while a caller who
    /// skipped the cache asked for a new one.
    func join(_ digest: String) -> (Flight, Role) {
        flights.withLockedValue { flights in
            if let flight = flights[digest], flight.outcome == nil { return (flight, .follower) }
            let flight = Flight()
            flights[digest] = flight
            return (flight, .leader)
        }
    }

    /// The flight under way for `digest`, if any, to follow; never starts one.
    func follow(_ digest: String) -> Flight? {
        flights.withLockedValue { flights in
            if let flight = flights[digest], flight.outcome == nil { return flight }
            return nil
        }
    }

    /// Called by the leader once the outcome is published (and the answer cached): later callers
    /// then find the cache instead.
    func end(_ digest: String, _ flight: Flight) {
        flights.withLockedValue { flights in
            if flights[digest] === flight { flights[digest] = nil }
        }
    }

    var count: Int { flights.withLockedValue { $0.count } }
}
