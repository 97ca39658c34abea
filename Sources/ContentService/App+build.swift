import Configuration
import Foundation
import Hummingbird
import Shared

/// Composes ContentService; `main` and the tests both start here.
func buildApplication(reader: ConfigReader) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "content", defaultPort: 8082, reader: reader))
    let router = runtime.makeRouter()
    return runtime.makeApplication(router: router, migrations: [try MigrationSet(schema: "content", bundle: .module)])
}
