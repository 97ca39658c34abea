import ArgumentParser
import Hummingbird
import Shared

@main
struct ContentServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ContentService",
        abstract: "Posts, likes, search, playlists and videos.")

    static func main() async {
        EventLoopExecutor.install()
        await main(nil)
    }

    func run() async throws {
        let app = try buildApplication(reader: .environment())
        try await app.runService()
    }
}
