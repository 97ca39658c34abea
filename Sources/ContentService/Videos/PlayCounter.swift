import Crypto
import Foundation
import Shared

/// One play per viewer per video per window: a user by id, an anonymous viewer by a keyed digest
/// of their network (an IPv4 address or an IPv6 /64), so a loop of anonymous POSTs counts once
/// an hour, not once a request. Redis holds a short-lived mark per viewer and video and no address.
struct PlayCounter: Sendable {
    let redis: RedisClient
    let namespace: String
    let window: Duration
    private let key: SymmetricKey

    init(redis: RedisClient, namespace: String, window: Duration, secret: Data) {
        self.redis = redis
        self.namespace = namespace
        self.window = window
        key = SymmetricKey(data: SHA256.hash(data: Data("contentplatform play viewer v1".utf8) + secret))
    }

    /// The viewer as the mark names them.
    func viewer(_ identity: Identity?, address: String?) -> String {
        if let identity { return "u:" + identity.userID.lowercased() }
        let network = ClientNetwork.key(address ?? "unknown")
        return "a:" + Data(HMAC<SHA256>.authenticationCode(for: Data(network.utf8), using: key)).prefix(12).hexString
    }

    /// True the first time in the window; the mark is set in the same step.
    func isFirst(of video: UUID, by viewer: String) async throws -> Bool {
        try await redis.send(RedisCommand("SET", [mark(video, viewer), "1", "NX", "EX", String(max(1, Int(window.seconds)))]))
            .throwingError().string == "OK"
    }

    /// Takes a mark back, for a play that was not counted after all.
    func forget(_ video: UUID, by viewer: String) async throws {
        _ = try await redis.send(RedisCommand("DEL", [mark(video, viewer)])).throwingError()
    }

    private func mark(_ video: UUID, _ viewer: String) -> String {
        "\(namespace):v1:played:\(video.uuidString.lowercased()):\(viewer)"
    }
}
