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

    struct Serve: ServeCommand {
        static func application() throws -> some ApplicationProtocol { try buildApplication(reader: .environment()) }
    }
}
