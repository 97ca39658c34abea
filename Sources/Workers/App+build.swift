import Configuration
import Foundation
import Hummingbird
import Shared

enum WorkerQueues {
    static let all: Set<String> = ["email", "thumbnail", "audit", "bench"]
}

/// Composes a Workers process: the job runner for `queues`, and health, readiness and metrics on
/// its own port.
func buildApplication(reader: ConfigReader, queues: [String] = ["email", "thumbnail", "audit"], concurrency: Int = 16) throws -> some ApplicationProtocol {
    let runtime = try ServiceRuntime(config: ServiceConfig(name: "workers", defaultPort: 8084, reader: reader))
    var handlers = JobHandlers()
    handlers.register("noop", NoopHandler())
    var settings = RunnerSettings(queues: queues, concurrency: concurrency)
    settings.lease = .seconds(reader.int(forKey: "workers.lease.seconds", default: 30))
    settings.rescueInterval = .seconds(reader.int(forKey: "workers.rescue.seconds", default: 5))
    let runner = JobRunner(settings: settings, queue: JobQueue(database: runtime.database, logger: runtime.logger), handlers: handlers, logger: runtime.logger)
    let router = runtime.makeRouter()
    return runtime.makeApplication(router: router, services: [runner], migrations: [try MigrationSet(schema: "audit", bundle: .module)])
}
