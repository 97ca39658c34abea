import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import TestSupport
@testable import Shared

@Suite struct RedisClientTests {
    /// A generous default timeout: the suite starts many servers at once, and a big value can wait
    /// seconds for a core then; the timeout tests set their own.
    func client(url: String = TestEnvironment.redisURL, poolSize: Int = 2, timeout: Duration = .seconds(10)) throws -> RedisClient {
        RedisClient(
            configuration: try RedisConfiguration(url: url, poolSize: poolSize, commandTimeout: timeout, connectTimeout: .seconds(2)),
            logger: TestEnvironment.logger)
    }

    func key(_ name: String) -> String { "test:\(UUID().uuidString):\(name)" }

    @Test func setGetDeleteAndTypes() async throws {
        let redis = try client()
        let k = key("plain")
        try await redis.set(k, "héllo")
        #expect(try await redis.get(k) == "héllo")
        #expect(try await redis.increment(k + ":n") == 1)
        #expect(try await redis.send("RPUSH", k + ":l", "a", "b").int == 2)
        #expect(try await redis.send("LRANGE", k + ":l", "0", "-1") == .array([.bulkString(Array("a".utf8)), .bulkString(Array("b".utf8))]))
        #expect(try await redis.delete(k, k + ":n", k + ":l") == 3)
        #expect(try await redis.get(k) == nil)
        #expect(try await redis.send("PING") == .simpleString("PONG"))
        await redis.shutdown()
    }

    @Test func errorRepliesThrowServerErrors() async throws {
        let redis = try client()
        let k = key("str")
        try await redis.set(k, "text")
        await #expect(throws: RedisError.self) { try await redis.send("INCR", k) }
        // The connection is still usable afterwards.
        #expect(try await redis.get(k) == "text")
        await redis.shutdown()
    }

    @Test func expiryIsApplied() async throws {
        let redis = try client()
        let k = key("ttl")
        try await redis.set(k, "v", expiresIn: .seconds(100))
        let ttl = try await redis.send("PTTL", k).int ?? -1
        #expect(ttl > 90_000 && ttl <= 100_000)
        await redis.shutdown()
    }

    @Test func pipelineOfTenThousandKeepsOrder() async throws {
        let redis = try client(poolSize: 1)
        let prefix = key("p")
        let sets = (0..<10_000).map { RedisCommand("SET", ["\(prefix):\($0)", "v\($0)"]) }
        let setReplies = try await redis.pipeline(sets)
        #expect(setReplies.allSatisfy { $0 == .simpleString("OK") })
        var gets = (0..<10_000).map { RedisCommand("GET", ["\(prefix):\($0)"]) }
        gets.insert(RedisCommand("INCR", ["\(prefix):0"]), at: 5000)  // an error in the middle
        let replies = try await redis.pipeline(gets)
        #expect(replies.count == 10_001)
        #expect(replies[0].string == "v0")
        #expect(replies[4999].string == "v4999")
        if case .error(let message) = replies[5000] { #expect(message.contains("not an integer")) } else { Issue.record("expected an error reply") }
        #expect(replies[5001].string == "v5000")
        #expect(replies[10_000].string == "v9999")
        await redis.shutdown()
    }

    @Test func concurrentCallersGetTheirOwnReplies() async throws {
        let redis = try client(poolSize: 2)
        let prefix = key("c")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<500 {
                group.addTask {
                    try await redis.set("\(prefix):\(i)", "value-\(i)")
                    let got = try await redis.get("\(prefix):\(i)")
                    #expect(got == "value-\(i)")
                }
            }
            try await group.waitForAll()
        }
        await redis.shutdown()
    }

    @Test func largeAndBinaryValues() async throws {
        let redis = try client()
        let k = key("big")
        var bytes = [UInt8](repeating: 0, count: 8 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8) }
        bytes[10] = 0x0D; bytes[11] = 0x0A  // CRLF inside the value
        try await redis.send(RedisCommand(parts: [Array("SET".utf8), Array(k.utf8), bytes]))
        let back = try await redis.send("GET", k)
        #expect(back.bytes == bytes)
        #expect(try await redis.send("STRLEN", k).int == bytes.count)
        await redis.shutdown()
    }

    @Test func timeoutFailsTheCommandAndTheNextOneWorks() async throws {
        let redis = try client(poolSize: 1, timeout: .milliseconds(500))
        let started = ContinuousClock.now
        // BLPOP on an empty list answers only after 10 s: far longer than the timeout, so an
        // answer well before it can only be the timeout, even on a loaded machine.
        await #expect(throws: RedisError.timeout) { try await redis.send("BLPOP", key("empty"), "10") }
        #expect(ContinuousClock.now - started < .seconds(5))
        // The late reply must not be taken for the next command's: a fresh connection answers.
        // (The first answer that comes is the one checked; a loaded machine may time out first.)
        let echoed = try await eventuallyValue(timeout: .seconds(15)) { try? await redis.send("ECHO", "after") }
        #expect(echoed == .bulkString(Array("after".utf8)))
        await redis.shutdown()
    }

    @Test func unreachableServerFailsFast() async throws {
        let redis = try client(url: "redis://127.0.0.1:1", poolSize: 1)
        await #expect(throws: RedisError.self) { try await redis.ping() }
        await redis.shutdown()
    }

    /// A connection that closed before a command was written (a refused TLS handshake does this
    /// right after connecting) has no handler left to answer: the command must fail, not wait.
    @Test func aCommandOnAClosedConnectionFailsInsteadOfWaiting() async throws {
        let configuration = try RedisConfiguration(url: TestEnvironment.redisURL, poolSize: 1, commandTimeout: .seconds(10))
        let connection = try await RedisConnection.connect(configuration, on: MultiThreadedEventLoopGroup.singleton.next())
        await connection.close()
        let outcome = NIOLockedValueBox<String?>(nil)
        // Unstructured, so a send that never returns fails this test instead of hanging the suite.
        Task {
            do {
                _ = try await connection.send([RedisCommand("PING", [])])
                outcome.withLockedValue { $0 = "answered" }
            } catch {
                outcome.withLockedValue { $0 = error is RequestNotSent ? "not sent" : "\(error)" }
            }
        }
        for _ in 0..<100 where outcome.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(50)) }
        #expect(outcome.withLockedValue { $0 } == "not sent")
    }

    @Test func scriptsRunBySHAAndReloadAfterFlush() async throws {
        let redis = try client(poolSize: 1)
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        let k = key("script")
        try await redis.send("SCRIPT", "FLUSH")
        #expect(try await redis.run(script, keys: [k], arguments: ["5"]) == .integer(5))
        #expect(try await redis.run(script, keys: [k], arguments: ["2"]) == .integer(7))
        #expect(try await redis.send("SCRIPT", "EXISTS", script.sha1) == .array([.integer(1)]))
        await redis.shutdown()
    }

    @Test func parsesURLs() throws {
        let full = try RedisConfiguration(url: "redis://:s%40cret@example.org:6390/3")
        #expect(full.host == "example.org" && full.port == 6390 && full.password == "s@cret" && full.database == 3)
        let plain = try RedisConfiguration(url: "redis://localhost")
        #expect(plain.port == 6379 && plain.password == nil && plain.database == 0)
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "http://localhost") }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis://localhost/abc") }
    }
}

/// Against a redis-server of its own, which it stops and starts again.
@Suite struct RedisRestartTests {
    @Test func reconnectsAfterServerRestart() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let redis = RedisClient(
            configuration: try RedisConfiguration(url: server.url, poolSize: 2, commandTimeout: .seconds(1), connectTimeout: .seconds(2)),
            logger: TestEnvironment.logger)
        try await redis.set("k", "before")
        await server.stop()
        // While it is down, commands fail (connection refused) rather than hang.
        let failedAt = ContinuousClock.now
        await #expect(throws: RedisError.self) { try await redis.get("k") }
        #expect(ContinuousClock.now - failedAt < .seconds(3))
        try await server.start()
        // The first command on each old connection may still see it closed; within a few tries it works.
        var answer: String?
        for _ in 0..<10 {
            if let value = try? await redis.send("ECHO", "back").string { answer = value; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer == "back")
        #expect(try await redis.send("ECHO", "again").string == "again")
        await redis.shutdown()
        await server.stop()
    }
}

/// A throw-away redis-server on a free port.
final class RedisServerProcess: @unchecked Sendable {
    let port: Int
    private var process: TestProcess?
    let directory: URL

    init() throws {
        port = Int.random(in: 20_000...60_000)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["REDIS_SERVER_BIN"] ?? "/usr/bin/redis-server")
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.path]
        process.standardOutput = FileHandle.nullDevice
        self.process = try TestProcess(starting: process)
        for _ in 0..<100 {
            if let probe = try? RedisConfiguration(url: url, poolSize: 1, connectTimeout: .milliseconds(100)) {
                let client = RedisClient(configuration: probe, logger: TestEnvironment.logger)
                let ok = (try? await client.ping()) != nil
                await client.shutdown()
                if ok { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisError.connectFailed("test redis-server did not start")
    }

    /// Kills the server outright: the test process may block SIGTERM, and children inherit that.
    func stop() async {
        await process?.kill()
        process = nil
    }

    /// A test that failed half-way leaves no server behind.
    deinit { process?.signal(SIGKILL) }
}
