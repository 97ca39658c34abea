import Configuration
import Foundation
import Hummingbird
import Shared

/// Composes the Workers process: health, readiness and metrics on its own port.
func buildApplication(reader: ConfigReader) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "workers", defaultPort: 8084, reader: reader))
    let router = runtime.makeRouter()
    return runtime.makeApplication(router: router, migrations: [try MigrationSet(schema: "audit", bundle: .module)])
}
