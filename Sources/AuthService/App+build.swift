import Configuration
import Foundation
import Hummingbird
import Shared

/// The settings only AuthService reads.
struct AuthConfig: Sendable {
    var accessTokenTTL: Duration

    init(reader: ConfigReader) {
        accessTokenTTL = .seconds(reader.int(forKey: "access.token.ttl.seconds", default: 600))
    }
}

/// Composes AuthService; `main` and the tests both start here.
func buildApplication(reader: ConfigReader) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "auth", defaultPort: 8081, reader: reader))
    let authConfig = AuthConfig(reader: reader)
    let keys = SigningKeyStore(database: runtime.database, logger: runtime.logger)
    let router = runtime.makeRouter()
    JWKSController(keys: keys, maxTokenAge: authConfig.accessTokenTTL).addRoutes(to: router.group("api/auth"))
    return runtime.makeApplication(router: router, migrations: [try MigrationSet(schema: "auth", bundle: .module)])
}
