import Foundation
import Shared

extension AppRequestContext {
    /// The UUID path parameter `name`; a malformed one names nothing, so it is `notFound`.
    func uuid(_ name: String, orElse notFound: APIError) throws -> UUID {
        guard let id = UUID(uuidString: try parameters.require(name)) else { throw notFound }
        return id
    }
}
