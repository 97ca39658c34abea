import ArgumentParser
import Hummingbird
import Shared

@main
struct ContentServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ContentService",
        abstract: "Posts, likes, search, playlists and videos.",
        subcommands: [Serve.self, SeedCommand.self, SQLCommand.self],
        defaultSubcommand: Serve.self)

    static func main() async {
        await runAsExecutable()
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve HTTP (the default).")

        func run() async throws {
            let app = try buildApplication(reader: .environment())
            try await app.runService()
        }
    }
}
