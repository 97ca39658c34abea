import PostgresNIO

extension Error {
    /// What went wrong, in words an operator can act on, for logs and command output. A
    /// `PSQLError` describes itself as "Generic description to prevent accidental leakage of
    /// sensitive data"; its SQLSTATE and the server's message are what matter, and hold no
    /// bound value. The server's DETAIL is never included: it can quote a row.
    public var reason: String {
        switch self {
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                return "Postgres \(state): \(error.serverInfo?[.message] ?? "no message")"
            }
            if let underlying = error.underlying { return "Postgres \(error.code): \(underlying)" }
            return "Postgres \(error.code)"
        case let error as DependencyUnavailable:
            return "\(error.dependency) unavailable: \(error.underlying.reason)"
        default:
            return "\(self)"
        }
    }
}
