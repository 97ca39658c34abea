import Crypto
import Foundation
import NIOConcurrencyHelpers
import Shared

/// Who is asking, for the quota: a user by id, an anonymous caller by a keyed digest of its
/// network (the address itself is kept nowhere in Redis or the ledger).
struct QuotaSubject: Sendable, Equatable {
    enum Tier: String, Sendable, CaseIterable {
        case anonymous, unverified, verified, admin
    }

    var key: String
    var tier: Tier
    var userID: String?

    init(identity: Identity?, clientAddress: String?, addresses: AddressDigest) {
        if let identity {
            key = "user:\(identity.userID)"
            userID = identity.userID
            tier = identity.isAdmin ? .admin : identity.emailVerified ? .verified : .unverified
        } else {
            key = "addr:\(addresses.digest(clientAddress ?? "unknown"))"
            userID = nil
            tier = .anonymous
        }
    }

}

/// Names an anonymous caller's network (its IPv4 address, or its IPv6 /64) by an HMAC under a
/// secret. A plain hash of an address is no disguise: the whole IPv4 space hashes in minutes.
struct AddressDigest: Sendable {
    private let key: SymmetricKey

    /// `secret` is `GPT_ADDRESS_SECRET`; every instance needs the same one to share a quota.
    init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Data("contentplatform gpt address v1\u{0}\(secret)".utf8)))
    }

    func digest(_ address: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(ClientNetwork.key(address).utf8), using: key)).prefix(12).hexString
    }
}

/// The daily number of upstream calls each tier may cause; nil is unlimited.
struct QuotaPolicy: Sendable {
    var limits: [QuotaSubject.Tier: Int?]

    func limit(for tier: QuotaSubject.Tier) -> Int? {
        limits[tier] ?? nil
    }
}

/// The quota's day: a calendar day in the configured time zone, so "per day" means the users'
/// day (Asia/Seoul by default), not UTC's.
struct QuotaDay: Sendable {
    let timeZone: TimeZone
    /// The last window worked out: every request asks, and the calendar arithmetic cost more than
    /// the rest of a cache hit's quota bookkeeping.
    private let recent = NIOLockedValueBox<(start: Date, name: String, resetAt: Date)?>(nil)

    init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// The day's name in keys (`20261201`) and when the next day starts.
    func window(at now: Date) -> (name: String, resetAt: Date) {
        if let known = recent.withLockedValue({ $0 }), known.start <= now, now < known.resetAt {
            return (known.name, known.resetAt)
        }
        let computed = Self.compute(at: now, timeZone: timeZone)
        recent.withLockedValue { $0 = computed }
        return (computed.name, computed.resetAt)
    }

    private static func compute(at now: Date, timeZone: TimeZone) -> (start: Date, name: String, resetAt: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.startOfDay(for: now)
        let next = calendar.date(byAdding: .day, value: 1, to: start) ?? now.addingTimeInterval(86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: start)
        let name = String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        return (start, name, next)
    }
}
