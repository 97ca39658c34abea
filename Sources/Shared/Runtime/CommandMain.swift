import ArgumentParser
import Hummingbird

extension AsyncParsableCommand {
    /// `main` for the executables: the event-loop executor installed, and a failure printed with
    /// its reason (Postgres's SQLSTATE and message) rather than an error type's own description,
    /// which for a database error says nothing.
    public static func runAsExecutable() async {
        EventLoopExecutor.install()
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)  // usage, --help: ArgumentParser's own words
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error where exitCode(for: error).isSuccess {
            // Help and version: ArgumentParser parses `--help` into a command whose run asks for it.
            exit(withError: error)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch let error as ValidationError {
            exit(withError: error)
        } catch {
            exit(withError: OperatorFacingError(description: error.reason))
        }
    }
}

/// An error as a command prints it: by its reason.
struct OperatorFacingError: Error, CustomStringConvertible {
    let description: String
}

/// The `serve` subcommand every service has (its default): its application, from the
/// environment, run until SIGTERM or SIGINT.
public protocol ServeCommand: AsyncParsableCommand {
    associatedtype App: ApplicationProtocol
    static func application() throws -> App
}

extension ServeCommand {
    public static var configuration: CommandConfiguration { CommandConfiguration(abstract: "Serve HTTP (the default).") }

    public func run() async throws {
        try await Self.application().runService()
    }
}
