import NIOCore
import NIOPosix
import NIOSSL

/// One TCP connection to Redis. Many callers may use it at once: their commands are pipelined and
/// the replies come back in order.
final class RedisConnection: Sendable {
    let channel: any Channel
    private let timeout: TimeAmount

    private init(channel: any Channel, timeout: TimeAmount) {
        self.channel = channel
        self.timeout = timeout
    }

    static func connect(_ config: RedisConfiguration, on eventLoop: any EventLoop) async throws -> RedisConnection {
        let channel: any Channel
        do {
            let tls = try config.tls ? tlsContext(config) : nil
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(.nanoseconds(config.connectTimeout.nanoseconds))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            // SNI only for names; the certificate is checked against the host either way.
                            let name = config.host.first?.isNumber == true || config.host.contains(":") ? nil : config.host
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name))
                        }
                        try channel.pipeline.syncOperations.addHandler(RedisChannelHandler())
                    }
                }
                .connect(host: config.host, port: config.port).get()
        } catch {
            throw RedisError.connectFailed("\(config.host):\(config.port): \(error)")
        }
        let connection = RedisConnection(channel: channel, timeout: .nanoseconds(config.commandTimeout.nanoseconds))
        do {
            if let password = config.password {
                let auth = config.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
                try await connection.send([RedisCommand(auth[0], Array(auth.dropFirst()))])[0].throwingError()
            }
            if config.database != 0 {
                try await connection.send([RedisCommand("SELECT", [String(config.database)])])[0].throwingError()
            }
        } catch is RequestNotSent {
            // Closed before it was ready: a refused TLS handshake or a server that hung up.
            throw RedisError.connectFailed("\(config.host):\(config.port): the connection closed before it was ready")
        } catch {
            try? await channel.close()
            throw error
        }
        return connection
    }

    /// Certificate and host name verified: a password or a revocation mark must not go to an
    /// impostor.
    private static func tlsContext(_ config: RedisConfiguration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caFile = config.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        return try NIOSSLContext(configuration: tls)
    }

    var isActive: Bool { channel.isActive }

    /// Writes the commands in one flush and waits for their replies. Error replies are returned as
    /// `.error` values; transport failures throw.
    func send(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        var bytes = channel.allocator.buffer(capacity: 64 * commands.count)
        for command in commands { command.encode(into: &bytes) }
        let promise = channel.eventLoop.makePromise(of: [RedisValue].self)
        // A channel that closed already (a TLS handshake refused, the server gone) has no handler
        // left to answer the request: its write fails at the head, and so must the request, or the
        // caller waits forever. Nothing was sent then, so it may go on another connection. Should
        // the handler have answered first, this second completion is ignored.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            promise.fail(error as? ChannelError == .ioOnClosedChannel ? RequestNotSent() : error)
        }
        channel.writeAndFlush(RedisRequest(bytes: bytes, count: commands.count, promise: promise, timeout: timeout), promise: written)
        return try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}

extension RedisValue {
    /// Throws the error reply as `RedisError.server`, returns any other reply.
    @discardableResult
    public func throwingError() throws -> RedisValue {
        if case .error(let message) = self { throw RedisError.server(message) }
        return self
    }
}
