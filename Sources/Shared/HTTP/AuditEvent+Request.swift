import Hummingbird

extension AuditEvent {
    /// An event about `request`: the client address and user agent (its first 256 characters)
    /// come from it.
    public init(
        _ action: String, actorID: String?, targetType: String? = nil, targetID: String? = nil,
        payload: [String: String] = [:], request: Request, context: AppRequestContext
    ) {
        self.init(
            action: action, actorID: actorID, targetType: targetType, targetID: targetID,
            clientAddress: context.clientAddress, userAgent: request.headers[.userAgent].map { $0.prefix(scalars: 256, bytes: 512) },
            payload: payload)
    }
}
