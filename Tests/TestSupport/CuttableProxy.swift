import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP forwarder on a free local port that a test can cut, to play a server (Postgres) that
/// goes away: `cut()` drops every open connection and closes new ones as they arrive, until
/// `restore()`.
public final class CuttableProxy: Sendable {
    public let port: Int
    private let listener: any Channel
    private let state: NIOLockedValueBox<State>

    private struct State {
        var cut = false
        var open: [ObjectIdentifier: any Channel] = [:]
    }

    public init(toHost host: String, port targetPort: Int) async throws {
        let state = NIOLockedValueBox(State())
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                if state.withLockedValue({ $0.cut }) { return inbound.close() }
                // The accepted side is registered (and read) only once this future succeeds, so
                // nothing arrives before its partner exists.
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            try outbound.pipeline.syncOperations.addHandler(Forwarder(to: inbound))
                        }
                    }
                    .connect(host: host, port: targetPort)
                    .flatMapThrowing { outbound in
                        try inbound.pipeline.syncOperations.addHandler(Forwarder(to: outbound))
                        state.withLockedValue { state in
                            state.open[ObjectIdentifier(inbound)] = inbound
                            state.open[ObjectIdentifier(outbound)] = outbound
                        }
                        for channel in [inbound, outbound] {
                            channel.closeFuture.whenComplete { _ in
                                _ = state.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
                            }
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.state = state
        self.port = listener.localAddress?.port ?? 0
    }

    /// Postgres "crashes": open connections are reset and new ones closed at once.
    public func cut() {
        let open = state.withLockedValue { state in
            state.cut = true
            defer { state.open = [:] }
            return Array(state.open.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Postgres is back: new connections are forwarded again.
    public func restore() {
        state.withLockedValue { $0.cut = false }
    }

    public func stop() async {
        cut()
        try? await listener.close()
    }
}

/// Writes what one side reads to the other, and closes the other when this side closes.
private final class Forwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let peer: any Channel

    init(to peer: any Channel) { self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
