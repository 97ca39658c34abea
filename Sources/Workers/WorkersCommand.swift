import ArgumentParser
import Hummingbird
import Shared

@main
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Workers",
        abstract: "Consume the jobs table: email, thumbnail and audit queues.",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve health, readiness and metrics.")

        func run() async throws {
            let app = try buildApplication(reader: .environment())
            try await app.runService()
        }
    }
}
