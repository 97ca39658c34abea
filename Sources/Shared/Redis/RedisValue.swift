import NIOCore

/// A reply from Redis (RESP2).
public enum RedisValue: Sendable, Equatable {
    case simpleString(String)
    case bulkString([UInt8])
    case integer(Int)
    case array([RedisValue])
    case null
    case error(String)

    /// The reply as text, for simple and bulk strings.
    public var string: String? {
        switch self {
        case .simpleString(let s): s
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let s): Array(s.utf8)
        default: nil
        }
    }

    public var int: Int? {
        switch self {
        case .integer(let i): i
        case .bulkString, .simpleString: string.flatMap { Int($0) }
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}

public enum RedisError: Error, Equatable, CustomStringConvertible {
    /// The server answered with an error reply (`-ERR ...`).
    case server(String)
    /// No reply within the command timeout; the connection was closed because its replies can no
    /// longer be matched to requests.
    case timeout
    case connectionClosed
    case connectFailed(String)
    case protocolError(String)
    case invalidURL(String)

    public var description: String {
        switch self {
        case .server(let message): "redis: \(message)"
        case .timeout: "redis: command timed out"
        case .connectionClosed: "redis: connection closed"
        case .connectFailed(let reason): "redis: cannot connect: \(reason)"
        case .protocolError(let reason): "redis: protocol error: \(reason)"
        case .invalidURL(let url): "redis: invalid URL \(RedactedURL.string(url))"
        }
    }

    /// Redis is down or unreachable, as opposed to a bad command.
    public var isConnectionProblem: Bool {
        switch self {
        case .timeout, .connectionClosed, .connectFailed: true
        default: false
        }
    }

    /// Redis cannot take the command now but may later: unreachable, or an error reply that says
    /// so (at its memory limit with nothing to evict, unable to save to disk, loading its data,
    /// busy with a script, a replica or a cluster not ready). A client is told to come back, not that the server broke.
    public var isTransient: Bool {
        guard case .server(let message) = self else { return isConnectionProblem }
        let code = message.prefix { $0 != " " }
        return Self.transientCodes.contains(String(code))
    }

    static let transientCodes: Set<String> = ["OOM", "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "NOREPLICAS",
                                              "MISCONF"]
}
