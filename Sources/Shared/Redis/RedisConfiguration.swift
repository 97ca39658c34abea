import Foundation

/// Where and how to reach Redis: `redis://[:password@]host:port[/db]`, or `rediss://` for TLS
/// (the server's certificate checked against the system's roots, or the PEM file named by
/// `?ca=/path`, and its name against the host).
public struct RedisConfiguration: Sendable {
    public var host: String
    public var tls: Bool
    /// PEM file of the roots a TLS server's certificate must chain to; nil: the system's.
    public var caFile: String?
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Connections in the pool; commands from many callers are pipelined over each.
    public var poolSize: Int
    public var commandTimeout: Duration
    public var connectTimeout: Duration

    public init(url: String, poolSize: Int = 4, commandTimeout: Duration = .seconds(2), connectTimeout: Duration = .seconds(2)) throws {
        guard let parts = URLComponents(string: url), ["redis", "rediss"].contains(parts.scheme ?? ""), let host = parts.host, !host.isEmpty else {
            throw RedisError.invalidURL(url)
        }
        self.host = host
        self.tls = parts.scheme == "rediss"
        self.caFile = parts.queryItems?.first { $0.name == "ca" }?.value
        if caFile != nil && !tls { throw RedisError.invalidURL(url) }
        self.port = parts.port ?? 6379
        self.username = parts.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        self.password = parts.password.flatMap { $0.removingPercentEncoding }
        let path = parts.path.drop { $0 == "/" }
        guard path.isEmpty || Int(path) != nil else { throw RedisError.invalidURL(url) }
        self.database = Int(path) ?? 0
        self.poolSize = max(1, poolSize)
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout
    }
}
