import Configuration
import Foundation
import Logging
import PostgresNIO
import Shared
import Synchronization

/// The servers `deploy/dev test` starts for the suite, found through the same variables the
/// services read.
public enum TestEnvironment {
    public static let environment = ProcessInfo.processInfo.environment
    public static let databaseURL = environment["DATABASE_URL"] ?? "postgres://app:app@127.0.0.1:5433/app"
    public static let redisURL = environment["REDIS_URL"] ?? "redis://127.0.0.1:6380"
    public static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` with the URL of a new, empty database on the test server, so a test's
    /// migrations and rows are its own, and drops the database when `body` ends, returned or
    /// threw: a run leaves no databases behind, not even on the local stack that a plain
    /// `swift test` reaches.
    public static func withScratchDatabase<T: Sendable>(prefix: String = "test", _ body: (String) async throws -> T) async throws -> T {
        let name = "\(prefix)_\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
        try await administer("CREATE DATABASE \(name)")
        var url = URLComponents(string: databaseURL)!
        url.path = "/\(name)"
        // FORCE: connections a test left open (a server it abandoned) must not keep it alive.
        let drop = "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"
        do {
            let result = try await body(url.string!)
            try await administer(drop)
            return result
        } catch {
            try? await administer(drop)
            throw error
        }
    }

    /// Runs a statement on the test server's own database. It waits longer for a connection than
    /// a service does: while a whole suite starts up, Postgres may take seconds to answer.
    private static func administer(_ sql: String) async throws {
        var quiet = logger
        quiet.logLevel = .error
        let admin = try Database(url: databaseURL, applicationName: "test", maxConnections: 1, acquireTimeout: .seconds(30), logger: quiet)
        _ = try await admin.whileRunning { admin in
            try await admin.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// What Auth seals mailed links with and the email worker opens them with, in every test.
    public static let mailLinkSecret = "test-mail-link-secret-0123456789abcdef"

    /// Settings for a service under test: a scratch database, an ephemeral port, quiet logs.
    public static func reader(databaseURL: String, _ overrides: [String: String] = [:]) -> ConfigReader {
        var values = [
            "DATABASE_URL": databaseURL,
            "REDIS_URL": redisURL,
            "HTTP_PORT": "0",
            "LOG_LEVEL": "warning",
            // Dozens of services run at once beside the suites' own connections, under the test
            // cluster's max_connections; no test needs more than a few at a time.
            "DATABASE_POOL_SIZE": "6",
            // At the suite's start every suite creates databases and starts services at once: a
            // first connection can take longer than the services' 3 s. Outage tests set their own.
            "DATABASE_ACQUIRE_TIMEOUT_MS": "15000",
            "MAIL_LINK_SECRET": mailLinkSecret,
            // Never the working directory's media folder.
            "MEDIA_DIR": ProcessInfo.processInfo.environment["MEDIA_DIR"]
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("contentplatform-test-media").path,
        ]
        values.merge(overrides) { _, new in new }
        return .environment(values)
    }

    /// A `Database` on `url`, running for the duration of `body`.
    public static func withDatabase<T: Sendable>(url: String, _ body: (Database) async throws -> T) async throws -> T {
        // The body's first lease may come before the pool's `run()` has been entered: harmless (the
        // lease waits), but postgres-nio warns about it each time.
        var quiet = logger
        quiet.logLevel = .error
        // A test's own connections wait as long as it takes: at the suite's start, with every
        // suite creating databases and starting services on two cores, a first connection can take
        // seconds, and the services' 3 s deadline is what some tests check, not what they need.
        return try await Database(url: url, applicationName: "test", maxConnections: 8, acquireTimeout: .seconds(30), logger: quiet)
            .whileRunning(body)
    }
}

extension TestEnvironment {
    private static let handedOut = Mutex(Set<Int>())

    /// A port nothing listens on right now, for a server whose address must be known before it
    /// starts (AuthService verifies its own tokens through its JWKS URL).
    ///
    /// It comes from below the kernel's ephemeral range, so no outgoing connection can take it
    /// before the server binds it, and it is never handed out twice in one test process, so a
    /// pooled client connection to a finished server can never be mistaken for one to a new server.
    public static func freePort() throws -> Int {
        for _ in 0..<1000 {
            let port = Int.random(in: 20000..<32000)
            guard handedOut.withLock({ $0.insert(port).inserted }), canBind(port) else { continue }
            return port
        }
        throw POSIXError(.EADDRINUSE)
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// An executable of this package, built beside the test bundle.
    public static func executable(named name: String) -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent(name)
    }
}
