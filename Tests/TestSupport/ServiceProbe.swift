import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Shared

/// What a freshly started service answers on its probes, and what it migrated.
public struct ServiceProbe: Sendable {
    public var health: HTTPResponse.Status
    public var readiness: HTTPResponse.Status
    public var metrics: String
    /// Rows in `<schema>.schema_migrations` afterwards.
    public var migrations: Int

    /// Starts `app` (which migrates), asks its probes, then counts the migrations of `schema`.
    public static func run(_ app: some ApplicationProtocol, databaseURL: String, schema: String) async throws -> ServiceProbe {
        let (health, readiness, metrics) = try await app.test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get).status
            let readiness = try await client.execute(uri: "/readyz", method: .get).status
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            return (health, readiness, metrics)
        }
        let migrations = try await TestEnvironment.withDatabase(url: databaseURL) { db in
            try await db.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(schema).schema_migrations"),
                               logger: TestEnvironment.logger)[0].decode(Int.self)
        }
        return ServiceProbe(health: health, readiness: readiness, metrics: metrics, migrations: migrations)
    }
}
