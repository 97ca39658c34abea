import Hummingbird
import NIOCore
import NIOPosix
import Testing
import TestSupport
@testable import Shared

/// A busy service accepted 4 connections per turn of its event loop (NIO's default), so under load
/// a fresh connection waited seconds in the listen queue; the application sets the batch on the
/// listening channel once the server runs.
@Suite struct AcceptBatchTests {
    func listeningBatch(_ settings: [String: String]) async throws -> UInt {
        return try await TestEnvironment.withScratchDatabase { url in
            let runtime = try ServiceRuntime(config: ServiceConfig(name: "probe", defaultPort: 0, reader: TestEnvironment.reader(databaseURL: url, settings)))
            let app = try runtime.makeApplication(router: runtime.makeRouter(), migrations: [])
            let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            await app.onServerRunning(listener)
            let batch = try await listener.getOption(ChannelOptions.maxMessagesPerRead).get()
            try await listener.close()
            return batch
        }
    }

    @Test func theListenerAcceptsAConfiguredBatchPerTurn() async throws {
        #expect(try await listeningBatch([:]) == 256)
        #expect(try await listeningBatch(["HTTP_ACCEPT_BATCH": "32"]) == 32)
        #expect(try await listeningBatch(["HTTP_ACCEPT_BATCH": "0"]) == 1)
    }
}
