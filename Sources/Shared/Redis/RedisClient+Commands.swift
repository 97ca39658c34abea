import Crypto
import Foundation

extension RedisClient {
    public func get(_ key: String) async throws -> String? {
        try await send("GET", key).string
    }

    public func set(_ key: String, _ value: String, expiresIn: Duration? = nil) async throws {
        if let expiresIn {
            let ms = max(1, expiresIn.milliseconds)
            try await send("SET", key, value, "PX", String(ms))
        } else {
            try await send("SET", key, value)
        }
    }

    @discardableResult
    public func delete(_ keys: String...) async throws -> Int {
        try await send(RedisCommand("DEL", keys)).int ?? 0
    }

    public func increment(_ key: String) async throws -> Int {
        try await send("INCR", key).int ?? 0
    }

    public func ping() async throws {
        try await send("PING")
    }

    /// Runs a Lua script by its SHA1, loading it first when the server does not know it yet
    /// (after a restart or a `SCRIPT FLUSH`).
    public func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisValue {
        let shaCommand = RedisCommand("EVALSHA", [script.sha1, String(keys.count)] + keys + arguments)
        let reply = try await pipeline([shaCommand])[0]
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try await send(RedisCommand("EVAL", [script.source, String(keys.count)] + keys + arguments))
        }
        return try reply.throwingError()
    }
}

/// A Lua script run with EVALSHA.
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Data(source.utf8)).hexString
    }
}
