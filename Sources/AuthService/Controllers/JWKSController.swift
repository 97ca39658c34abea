import Foundation
import Hummingbird
import Shared

/// Publishes the public signing keys at `/api/auth/jwks.json` for the other services.
struct JWKSController: Sendable {
    let keys: SigningKeyStore
    let maxTokenAge: Duration

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("jwks.json", use: jwks)
    }

    @Sendable func jwks(_ request: Request, context: AppRequestContext) async throws -> Response {
        let published = try await keys.publishedKeys(maxTokenAge: maxTokenAge)
        let body = try JSONSerialization.data(withJSONObject: ["keys": published.map(\.publicJWK)], options: [.sortedKeys])
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "public, max-age=60"],
            body: .init(byteBuffer: .init(bytes: body)))
    }
}
