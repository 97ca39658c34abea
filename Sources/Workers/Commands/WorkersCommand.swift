import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Shared

@main
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Workers",
        abstract: "Consume the jobs table: email, thumbnail, transcode and audit queues.",
        subcommands: [Run.self, Jobs.self, Bench.self])

    static func main() async {
        await runAsExecutable()
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Process jobs; serve health, readiness and metrics.")

        @Option(help: "Comma-separated queues to consume (email, thumbnail, transcode, audit, bench).")
        var queues = WorkerQueues.defaults.joined(separator: ",")

        @Option(help: "Jobs this process runs at once.")
        var concurrency = 16

        func validate() throws {
            guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
            let unknown = Set(queueList).subtracting(WorkerQueues.all)
            guard unknown.isEmpty else { throw ValidationError("unknown queues: \(unknown.sorted().joined(separator: ", "))") }
        }

        var queueList: [String] { queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

        func run() async throws {
            let app = try buildApplication(reader: .environment(), queues: queueList, concurrency: concurrency)
            try await app.runService()
        }
    }
}
