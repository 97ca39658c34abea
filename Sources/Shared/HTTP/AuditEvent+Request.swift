import Hummingbird

extension AuditOrigin {
    /// The client of `request`: its address and the first 256 characters of its user agent.
    public init(_ request: Request, _ context: AppRequestContext) {
        self.init(clientAddress: context.clientAddress,
                  userAgent: request.headers[.userAgent].map { $0.prefix(scalars: 256, bytes: 512) })
    }
}

extension AuditEvent {
    /// An event about `request`, for a controller that records it itself.
    public init(
        _ action: AuditAction, actorID: String?, targetType: String? = nil, targetID: String? = nil,
        payload: [String: String] = [:], request: Request, context: AppRequestContext
    ) {
        self.init(action, actorID: actorID, targetType: targetType, targetID: targetID, payload: payload,
                  origin: AuditOrigin(request, context))
    }
}
