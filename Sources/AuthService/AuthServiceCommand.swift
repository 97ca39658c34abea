import ArgumentParser
import Configuration
import Hummingbird
import HummingbirdBcrypt
import Logging
import Shared

@main
struct AuthServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "AuthService",
        abstract: "Accounts, passwords, access and refresh tokens, and the public signing keys.",
        subcommands: [Serve.self, CreateAdmin.self, RotateSigningKey.self],
        defaultSubcommand: Serve.self)

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve HTTP (the default).")

        func run() async throws {
            let app = try buildApplication(reader: .environment())
            try await app.runService()
        }
    }

    struct CreateAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-admin", abstract: "Create an ADMIN account, or promote an existing one and set its password.")

        @Option(help: "The account's email.") var email: String
        @Option(help: "Its password (8 to 72 bytes).") var password: String
        @Option(help: "The nickname of a new account.") var nickname = "admin"

        func run() async throws {
            let email = try Credentials.validEmail(email)
            let nickname = try Credentials.validNickname(nickname)
            try Credentials.validatePassword(password)
            let config = AuthConfig(reader: .environment())
            let hash = Bcrypt.hash(password, cost: UInt8(config.passwords.cost))
            let id = try await withAuthDatabase { database, logger in
                try await database.withTransaction(logger: logger) { connection in
                    try await UserStore(database: database, logger: logger)
                        .upsertAdmin(email: email, nickname: nickname, passwordHash: hash, on: connection)
                }
            }
            print("ADMIN \(email) id \(id)")
        }
    }

    struct RotateSigningKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-signing-key",
            abstract: "Sign new access tokens with a fresh key; the old key stays published until its tokens expire.")

        func run() async throws {
            let kid = try await withAuthDatabase { database, logger in
                try await SigningKeyStore(database: database, logger: logger).rotate()
            }
            print("signing with \(kid)")
        }
    }
}

/// Runs `body` against AuthService's database, migrated, for the operator commands.
func withAuthDatabase<T: Sendable>(_ body: (Database, Logger) async throws -> T) async throws -> T {
    let config = ServiceConfig(name: "auth-cli", defaultPort: 8081, reader: .environment())
    var logger = Logger(label: "auth-cli")
    logger.logLevel = .warning
    let database = try Database(url: config.databaseURL, applicationName: config.name, maxConnections: 2, logger: logger)
    return try await database.whileRunning { database in
        try await Migrator.migrate([try MigrationSet.queue(), try MigrationSet(schema: "auth", bundle: .module)], database: database, logger: logger)
        return try await body(database, logger)
    }
}
