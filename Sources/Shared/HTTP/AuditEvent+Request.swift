import Hummingbird

extension AuditEvent {
    /// An event about `request`: the client address and user agent come from it.
    public init(
        _ action: String, actorID: String?, targetType: String? = nil, targetID: String? = nil,
        payload: [String: String] = [:], request: Request, context: AppRequestContext
    ) {
        self.init(
            action: action, actorID: actorID, targetType: targetType, targetID: targetID,
            clientAddress: context.clientAddress, userAgent: request.headers[.userAgent], payload: payload)
    }
}
