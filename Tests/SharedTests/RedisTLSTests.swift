import Foundation
import Testing
import TestSupport
@testable import Shared

/// `rediss://` against a Redis of its own that speaks only TLS, with a certificate made for the
/// test: the connection is encrypted, the certificate and its name are checked.
@Suite(.serialized) struct RedisTLSTests {
    struct TLSRedis {
        let port: Int
        let folder: URL
        let child: TestProcess
        var ca: String { folder.appendingPathComponent("cert.pem").path }

        /// Runs `body` against a server that is killed and whose folder is removed afterwards.
        static func run(_ body: (TLSRedis) async throws -> Void) async throws {
            let server = try await start()
            defer { try? FileManager.default.removeItem(at: server.folder) }
            try await server.child.killed { try await body(server) }
        }

        private static func start() async throws -> TLSRedis {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redis-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost",
                                "-addext", "subjectAltName=DNS:localhost"], in: folder)
            let port = try TestEnvironment.freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["redis-server", "--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1",
                                 "--tls-cert-file", "cert.pem", "--tls-key-file", "key.pem", "--tls-auth-clients", "no",
                                 "--requirepass", "tls-secret", "--save", "", "--appendonly", "no"]
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice
            return TLSRedis(port: port, folder: folder, child: try TestProcess(starting: process))
        }

        private static func run(_ tool: String, _ arguments: [String], in folder: URL) async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [tool] + arguments
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard try await TestProcess(starting: process).exited() == 0 else { throw TestFailure("\(tool) failed (is it installed?)") }
        }
    }

    func client(_ url: String) throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: url, poolSize: 1, commandTimeout: .seconds(5), connectTimeout: .seconds(2)),
                    logger: TestEnvironment.logger)
    }

    @Test func talksToRedisOverTLSWithItsCertificateChecked() async throws {
        try await TLSRedis.run { server in
            let redis = try client("rediss://:tls-secret@localhost:\(server.port)?ca=\(server.ca)")
            var answered = false, lastError = ""
            for _ in 0..<100 where !answered {  // until the server listens
                do {
                    try await redis.ping()
                    answered = true
                } catch {
                    lastError = "\(error)"
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(answered, "\(lastError)")
            _ = try await redis.send("SET", "tls:key", "over tls")
            #expect(try await redis.send("GET", "tls:key").string == "over tls")
            await redis.shutdown()

            // A certificate nobody vouches for (the system's roots do not know the test's CA).
            let untrusted = try client("rediss://:tls-secret@localhost:\(server.port)")
            await #expect(throws: (any Error).self) { try await untrusted.ping() }
            await untrusted.shutdown()
            // A name the certificate does not carry.
            let wrongName = try client("rediss://:tls-secret@127.0.0.1:\(server.port)?ca=\(server.ca)")
            await #expect(throws: (any Error).self) { try await wrongName.ping() }
            await wrongName.shutdown()
        }
    }

    @Test func tlsIsReallyUsed() async throws {
        // The plain test Redis does not speak TLS: a rediss:// URL to it must fail, not fall back.
        let plain = URLComponents(string: TestEnvironment.redisURL)!
        let redis = try client("rediss://\(plain.host ?? "127.0.0.1"):\(plain.port ?? 6379)")
        await #expect(throws: (any Error).self) { try await redis.ping() }
        await redis.shutdown()
        #expect(throws: (any Error).self) { try RedisConfiguration(url: "redis://localhost?ca=/etc/ssl/x.pem") }
    }
}
