import Logging
import PostgresNIO

extension Logger {
    /// A background task's failure. Before the first start's migrations have run the tables are
    /// not there yet: that is expected for a moment and only worth a debug line.
    func backgroundFailure(_ message: Logger.Message, _ error: any Error) {
        // Shutting down, not failing.
        if error is CancellationError { return }
        if let error = error as? PSQLError, error.serverInfo?[.sqlState] == "42P01" {
            debug(message, metadata: ["error": "\(error.reason)"])
        } else {
            warning(message, metadata: ["error": "\(error.reason)"])
        }
    }
}
