import ArgumentParser
import Hummingbird
import Shared

@main
struct GPTServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "GPTService",
        abstract: "Questions to the language model, with quotas and an answer cache.")

    static func main() async {
        EventLoopExecutor.install()
        await main(nil)
    }

    func run() async throws {
        let app = try buildApplication(reader: .environment())
        try await app.runService()
    }
}
