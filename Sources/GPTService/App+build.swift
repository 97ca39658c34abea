import Configuration
import Foundation
import Hummingbird
import Shared

/// Composes GPTService; `main` and the tests both start here.
func buildApplication(reader: ConfigReader) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "gpt", defaultPort: 8083, reader: reader))
    let router = runtime.makeRouter()
    return runtime.makeApplication(router: router, migrations: [try MigrationSet(schema: "gpt", bundle: .module)])
}
