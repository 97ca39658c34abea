import ArgumentParser
import Configuration
import Hummingbird
import Shared

@main
struct AuthServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "AuthService",
        abstract: "Accounts, passwords, access and refresh tokens, and the public signing keys.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve HTTP (the default).")

        func run() async throws {
            let app = try buildApplication(reader: .environment())
            try await app.runService()
        }
    }
}
