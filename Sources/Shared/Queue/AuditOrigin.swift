/// Where an audited action came from: the client's address (as nginx saw it) and user agent. The
/// HTTP layer fills it from the request (`AuditOrigin(request, context)`), so the code that
/// records an event needs no request of its own.
public struct AuditOrigin: Sendable {
    public var clientAddress: String?
    public var userAgent: String?

    public init(clientAddress: String?, userAgent: String?) {
        self.clientAddress = clientAddress
        self.userAgent = userAgent
    }
}

extension AuditEvent {
    /// An event the services record: its action one of the vocabulary's.
    public init(
        _ action: AuditAction, actorID: String?, targetType: String? = nil, targetID: String? = nil,
        payload: [String: String] = [:], origin: AuditOrigin
    ) {
        self.init(action: action.rawValue, actorID: actorID, targetType: targetType, targetID: targetID,
                  clientAddress: origin.clientAddress, userAgent: origin.userAgent, payload: payload)
    }
}
