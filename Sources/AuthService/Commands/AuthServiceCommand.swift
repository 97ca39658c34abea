import ArgumentParser
import Configuration
import Hummingbird
import HummingbirdBcrypt
import Foundation
import Logging
import NIOConcurrencyHelpers
import Shared

@main
struct AuthServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "AuthService",
        abstract: "Accounts, passwords, access and refresh tokens, and the public signing keys.",
        subcommands: [Serve.self, CreateAdmin.self, RotateSigningKey.self, BenchBcrypt.self],
        defaultSubcommand: Serve.self)

    static func main() async {
        await runAsExecutable()
    }

    struct Serve: ServeCommand {
        static func application() throws -> some ApplicationProtocol { try buildApplication(reader: .environment()) }
    }

    struct CreateAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-admin",
            abstract: "Create an ADMIN account, or promote an existing one and set its password, ending its sessions.")

        @Option(help: "The account's email.") var email: String
        @Option(help: "Its password (8 to 72 bytes); without it, the first line of standard input, which keeps it out of the process list and the shell history.")
        var password: String?
        @Option(help: "The nickname of a new account.") var nickname = "admin"

        func run() async throws {
            let email = try Credentials.validEmail(email)
            let nickname = try Credentials.validNickname(nickname)
            guard let password = password ?? readLine(strippingNewline: true) else {
                throw ValidationError("give --password, or the password on standard input")
            }
            try Credentials.validatePassword(password)
            let config = AuthConfig(reader: .environment())
            let hash = Bcrypt.hash(password, cost: UInt8(config.passwords.cost))
            // A new password or role ends every session of the account, as a reset does: a stolen
            // refresh token must not outlive it, let alone mint ADMIN tokens after a promotion.
            let access = OperatorAccess(name: "auth-cli")
            let (id, applied) = try await access.withDatabase(migrations: try authMigrations()) { database in
                try await access.withRedis { redis in
                    let logger = access.logger
                    let ending = SessionEnd(database: database, redis: redis, revocations: RevocationList(redis: redis, cacheTTL: .zero),
                                            tokenLifetime: config.accessTokenTTL, logger: logger)
                    return try await ending.commit { connection in
                        let user = try await UserStore(database: database, logger: logger)
                            .upsertAdmin(email: email, nickname: nickname, passwordHash: hash, on: connection)
                        try await JobQueue.enqueue([.userChange(user)], on: connection, logger: logger)
                        return (user.userID, user.userID)
                    }
                }
            }
            if let applied {
                throw ValidationError("""
                    ADMIN \(email) id \(id) is set and the end of its sessions recorded, but Redis could not be told (\(applied)); \
                    a running AuthService applies it within seconds, or run the command again
                    """)
            }
            print("ADMIN \(email) id \(id); its sessions are ended")
        }
    }

    struct RotateSigningKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-signing-key",
            abstract: "Sign new access tokens with a fresh key; the old key stays published until its tokens expire.")

        func run() async throws {
            let access = OperatorAccess(name: "auth-cli")
            let kid = try await access.withDatabase(migrations: try authMigrations()) { database in
                let sealer = try AuthConfig(reader: .environment()).keySealer()
                return try await SigningKeyStore(database: database, logger: access.logger, sealer: sealer).rotate()
            }
            print("signing with \(kid)")
        }
    }

    /// The machine's limit for logins: bcrypt verifications per second, on as many threads as
    /// the server would use. `loadtest/auth-bench.sh` compares login throughput with it.
    struct BenchBcrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-bcrypt", abstract: "Measure raw bcrypt verifications per second.")

        @Option(help: "bcrypt cost.") var cost = 10
        @Option(help: "Threads verifying at once (default: the cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Seconds to measure.") var seconds = 10.0

        func run() async throws {
            let hash = Bcrypt.hash("bench password", cost: UInt8(cost))
            let deadline = Date().addingTimeInterval(seconds)
            let counts = (0..<threads).map { _ in NIOLockedValueBox(0) }
            let workers = counts.map { count in
                Thread {
                    while Date() < deadline {
                        precondition(Bcrypt.verify("bench password", hash: hash))
                        count.withLockedValue { $0 += 1 }
                    }
                }
            }
            let start = Date()
            workers.forEach { $0.start() }
            while workers.contains(where: { !$0.isFinished }) { try await Task.sleep(for: .milliseconds(50)) }
            let elapsed = Date().timeIntervalSince(start)
            let total = counts.reduce(0) { $0 + $1.withLockedValue { $0 } }
            print(String(format: "bcrypt cost %d, %d thread(s): %d verifications in %.1f s = %.1f/s", cost, threads, total, elapsed, Double(total) / elapsed))
        }
    }
}

/// What the operator commands bring AuthService's database up to before they touch it.
func authMigrations() throws -> [MigrationSet] {
    [try MigrationSet.queue(), try MigrationSet(schema: "auth", bundle: resourceBundle)]
}
