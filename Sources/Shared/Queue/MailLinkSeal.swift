import Crypto
import Foundation

/// Seals the link of a verification or reset mail for its stay in the jobs table. Auth seals, the
/// email worker opens, and nobody else holds `MAIL_LINK_SECRET`: a row of `queue.jobs` or
/// `queue.dead_jobs` (in a backup, in `Workers jobs dead`, read by another service) holds no
/// usable link. AES-GCM, with the template and the recipient as associated data, so a sealed link
/// opens only in the mail it was made for.
public struct MailLinkSeal: Sendable {
    private let key: SymmetricKey

    /// - Parameter secret: at least 32 characters, e.g. `openssl rand -base64 32`.
    public init(secret: String) throws {
        guard secret.utf8.count >= 32 else { throw ConfigurationError("MAIL_LINK_SECRET must be at least 32 characters") }
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), info: Data("queue.email.link".utf8),
                                     outputByteCount: 32)
    }

    /// Reads `MAIL_LINK_SECRET`; `nil` when it is not set.
    public init?(configuredSecret secret: String?) throws {
        guard let secret, !secret.isEmpty else { return nil }
        try self.init(secret: secret)
    }

    public func seal(_ link: String, template: EmailJob.Template, to recipient: String) throws -> String {
        try AES.GCM.seal(Data(link.utf8), using: key, authenticating: Self.context(template, recipient)).combined!.base64EncodedString()
    }

    public func open(_ sealed: String, template: EmailJob.Template, to recipient: String) throws -> String {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
              let link = try? AES.GCM.open(box, using: key, authenticating: Self.context(template, recipient))
        else { throw Unopenable() }
        return String(decoding: link, as: UTF8.self)
    }

    /// Sealed with another secret, for another mail, or damaged.
    public struct Unopenable: Error, CustomStringConvertible {
        public var description: String {
            "the mail's link does not open with MAIL_LINK_SECRET (sealed with another secret, or for another mail)"
        }
    }

    private static func context(_ template: EmailJob.Template, _ recipient: String) -> Data {
        Data("\(template.rawValue)\n\(recipient)".utf8)
    }
}
