import ArgumentParser
import Configuration
import Hummingbird
import Logging
import Shared

@main
struct GPTServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "GPTService",
        abstract: "Questions to the language model, with quotas, a spend budget and an answer cache.",
        subcommands: [Serve.self, Budget.self],
        defaultSubcommand: Serve.self)

    static func main() async {
        await runAsExecutable()
    }

    struct Serve: ServeCommand {
        static func application() throws -> some ApplicationProtocol { try buildApplication(reader: .environment()) }
    }

    /// The operator's handle on the day's spend: every instance reads the cap from Redis, so a
    /// raised cap takes effect everywhere at once.
    struct Budget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show today's estimated spend, or set the daily cap for every instance.")

        @Option(help: "A new daily cap in the configured currency.") var cap: Double?
        @Flag(help: "No cap at all.") var unlimited = false
        @Flag(help: "Back to GPT_BUDGET_DAILY.") var reset = false

        func run() async throws {
            if let cap, cap < 0 { throw ValidationError("--cap must be 0 or more (use --unlimited for no cap)") }
            let config = GPTConfig(reader: .environment())
            let (spent, dailyCap) = try await OperatorAccess(name: "gpt-cli").withRedis { redis in
                let budget = SpendBudget(redis: redis, namespace: config.keyPrefix, day: QuotaDay(timeZone: config.timeZone),
                                         dailyCap: config.dailyBudget, prices: config.prices)
                if unlimited || reset || cap != nil { try await budget.setCap(reset ? nil : cap, unlimited: unlimited) }
                return try await budget.status()
            }
            print(String(format: "spent today: %.2f %@; cap: %@", spent, config.currency,
                         dailyCap.map { String(format: "%.2f %@", $0, config.currency) } ?? "none"))
        }
    }
}
