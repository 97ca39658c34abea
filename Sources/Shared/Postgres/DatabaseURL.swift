import Foundation
import PostgresNIO

extension PostgresClient.Configuration {
    /// Parses `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    public init(url string: String) throws {
        guard let url = URLComponents(string: string), ["postgres", "postgresql"].contains(url.scheme ?? ""),
              let host = url.host, !host.isEmpty
        else { throw ConfigurationError("DATABASE_URL must look like postgres://user:password@host:port/database") }
        let sslmode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: TLS
        switch sslmode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw ConfigurationError("DATABASE_URL sslmode must be disable, prefer or require")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.init(
            host: host,
            port: url.port ?? 5432,
            username: url.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: url.password.flatMap { $0.removingPercentEncoding },
            database: database.isEmpty ? nil : database,
            tls: tls
        )
    }
}

/// A setting that is present but unusable: the process should stop at start-up and say which.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
