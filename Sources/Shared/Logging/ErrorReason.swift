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
                var message = error.serverInfo?[.message] ?? "no message"
                // A data exception quotes the value it refused (`invalid input syntax for type
                // uuid: "..."`), which may be a bound one: the quote goes.
                if state.hasPrefix("22"), let quote = message.range(of: ": \"") {
                    message = String(message[..<quote.lowerBound]) + " (value withheld)"
                }
                return "Postgres \(state): \(message)"
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
