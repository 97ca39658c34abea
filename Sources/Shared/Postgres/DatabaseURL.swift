import Foundation
import PostgresNIO

/// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`, read once for
/// both the pool and a single connection.
struct DatabaseURL {
    enum SSLMode: String { case disable, prefer, require }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var sslmode: SSLMode

    init(_ string: String) throws {
        guard let url = URLComponents(string: string), ["postgres", "postgresql"].contains(url.scheme ?? ""),
              let host = url.host, !host.isEmpty
        else { throw ConfigurationError("DATABASE_URL must look like postgres://user:password@host:port/database") }
        guard let sslmode = SSLMode(rawValue: url.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable") else {
            throw ConfigurationError("DATABASE_URL sslmode must be disable, prefer or require")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.host = host
        self.port = url.port ?? 5432
        self.username = url.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = url.password.flatMap { $0.removingPercentEncoding }
        self.database = database.isEmpty ? nil : database
        self.sslmode = sslmode
    }
}

extension PostgresClient.Configuration {
    /// Parses `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    public init(url string: String) throws {
        let url = try DatabaseURL(string)
        let tls: TLS
        switch url.sslmode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        self.init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls)
    }
}

extension PostgresConnection.Configuration {
    /// The same URL for one connection outside the pool.
    init(url string: String) throws {
        let url = try DatabaseURL(string)
        let tls: TLS
        switch url.sslmode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try .init(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try .init(configuration: .makeClientConfiguration()))
        }
        self.init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls)
    }
}

/// A setting that is present but unusable: the process should stop at start-up and say which.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
