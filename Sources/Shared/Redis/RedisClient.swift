import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A small pool of pipelined Redis connections on SwiftNIO, with hiredis doing the protocol.
///
/// Commands are spread over the connections round-robin and never wait for a connection to be
/// free: Redis answers in order, so any number of callers can share one. A connection that closes
/// (server restart, timeout) is replaced on the next command that picks its slot.
///
/// Each connection lives on one event loop of the group, spread evenly, and a caller running on
/// an event loop uses one of that loop's connections: the command is written, and its reply
/// resumes the caller, without a hop to another thread. Callers elsewhere take any connection.
public final class RedisClient: Sendable, Service {
    public let configuration: RedisConfiguration
    private let slots: [NIOLockedValueBox<Slot>]
    /// The loop each slot's connection is made on, and the slots of each loop.
    private let slotLoops: [any EventLoop]
    private let slotsByLoop: [ObjectIdentifier: [Int]]
    private let next = ManagedAtomic(0)
    private let logger: Logger
    private let usage: RedisUsage

    private enum Slot {
        case empty
        case connecting(Task<RedisConnection, any Error>)
        case ready(RedisConnection)
    }

    /// - Parameter service: names the pool in the metrics.
    public init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                service: String = "unnamed", logger: Logger) {
        self.configuration = configuration
        self.usage = RedisUsage(service: service, poolSize: configuration.poolSize)
        self.slots = (0..<configuration.poolSize).map { _ in NIOLockedValueBox(.empty) }
        let loops = Array(eventLoopGroup.makeIterator())
        self.slotLoops = (0..<configuration.poolSize).map { loops[$0 % loops.count] }
        self.slotsByLoop = Dictionary(grouping: 0..<configuration.poolSize) { ObjectIdentifier(loops[$0 % loops.count]) }
        self.logger = logger
    }

    /// Runs until graceful shutdown, then closes the connections.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    public func shutdown() async {
        for slot in slots {
            let current = slot.withLockedValue { state in
                defer { state = .empty }
                return state
            }
            switch current {
            case .ready(let connection): await connection.close()
            case .connecting(let task): task.cancel()
            case .empty: break
            }
        }
    }

    // MARK: Sending

    /// Sends one command; an error reply throws `RedisError.server`.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisValue {
        try await sendOnce([command])[0].throwingError()
    }

    @discardableResult
    public func send(_ name: String, _ arguments: String...) async throws -> RedisValue {
        try await send(RedisCommand(name, arguments))
    }

    /// Sends the commands in one write on one connection; replies come back in the same order.
    /// Error replies are returned in place, not thrown, so one bad command does not hide the others.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        return try await sendOnce(commands)
    }

    /// Sends on a pooled connection; if that connection turns out to be closing before the
    /// commands left, they go once more on a fresh one (they never reached the server).
    private func sendOnce(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        usage.sending(commands.count)
        defer { usage.answered(commands.count) }
        let (slot, connection) = try await connection()
        do {
            return try await connection.send(commands)
        } catch is RequestNotSent {
            slot.withLockedValue { state in
                if case .ready(let current) = state, current === connection { state = .empty }
            }
            do {
                return try await self.connection().1.send(commands)
            } catch is RequestNotSent {
                throw RedisError.connectionClosed
            }
        }
    }

    // MARK: Connections

    private func connection() async throws -> (NIOLockedValueBox<Slot>, RedisConnection) {
        let turn = next.loadThenWrappingIncrement(ordering: .relaxed)
        let index: Int
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, let local = slotsByLoop[ObjectIdentifier(current)] {
            index = local[turn % local.count]
        } else {
            index = turn % slots.count
        }
        let slot = slots[index]
        enum Action { case use(RedisConnection), wait(Task<RedisConnection, any Error>) }
        let action: Action = slot.withLockedValue { state in
            switch state {
            case .ready(let connection) where connection.isActive:
                return .use(connection)
            case .connecting(let task):
                return .wait(task)
            case .ready, .empty:
                // One connect per slot however many callers arrive at once.
                let task = Task { [configuration, usage, loop = slotLoops[index]] in
                    let connection = try await RedisConnection.connect(configuration, on: loop)
                    usage.opened()
                    connection.channel.closeFuture.whenComplete { _ in usage.closed() }
                    return connection
                }
                state = .connecting(task)
                return .wait(task)
            }
        }
        switch action {
        case .use(let connection):
            return (slot, connection)
        case .wait(let task):
            do {
                let connection = try await task.value
                slot.withLockedValue { state in
                    if case .connecting = state { state = .ready(connection) }
                }
                return (slot, connection)
            } catch {
                slot.withLockedValue { state in
                    if case .connecting = state { state = .empty }
                }
                logger.warning("redis connect failed", metadata: ["error": "\(error.reason)"])
                throw error
            }
        }
    }
}
