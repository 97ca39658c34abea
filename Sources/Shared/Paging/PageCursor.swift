import Crypto
import Foundation

/// Opaque keyset cursors: the last sort key of a page, signed together with the listing it came
/// from. A forged, truncated or foreign cursor (another sort, filter or keyword) fails the MAC and
/// is a 400, never a query.
public struct PageCursor: Sendable {
    private let key: SymmetricKey

    public init(secret: some DataProtocol) {
        key = SymmetricKey(data: SHA256.hash(data: Data("contentplatform cursor v1".utf8) + Data(secret)))
    }

    /// `listing` names the sort and filters, so a cursor only continues the listing it came from.
    public func encode(_ position: SortKey, listing: String) -> String {
        let payload = CursorText.encode(position)
        return payload.base64URLEncodedString() + "." + mac(payload, listing: listing).base64URLEncodedString()
    }

    public func decode(_ text: String, listing: String) throws -> SortKey {
        guard let (payload, tag) = CursorText.split(text), constantTimeEqual(tag, mac(payload, listing: listing)),
              let position = CursorText.position(payload)
        else { throw Self.refused }
        return position
    }

    public static let refused = APIError.badRequest("cursor is not one this listing handed out", code: "invalid_cursor")

    private func mac(_ payload: Data, listing: String) -> Data {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Data(listing.utf8))
        hmac.update(data: [0])
        hmac.update(data: payload)
        return Data(hmac.finalize().prefix(16))
    }

    private func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
