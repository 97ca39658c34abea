import Foundation

/// A message for the `email` queue: which template, to whom, and what fills it in.
public struct EmailJob: Codable, Sendable, Equatable {
    public enum Template: String, Codable, Sendable, CaseIterable {
        case welcome
        case verifyEmail = "verify_email"
        case passwordReset = "password_reset"
        case passwordChanged = "password_changed"
        case accountDeleted = "account_deleted"
    }

    public var template: Template
    public var to: String
    public var nickname: String
    /// The verification or reset link, for the templates that carry one, sealed by `MailLinkSeal`.
    public var sealedLink: String?
    /// A plain link, as jobs enqueued before links were sealed carry it: still sent, never written
    /// now, and redacted wherever a job is shown.
    public var plainLink: String?

    enum CodingKeys: String, CodingKey {
        case template, to, nickname, sealedLink
        case plainLink = "link"
    }

    public init(template: Template, to: String, nickname: String) {
        self.template = template
        self.to = to
        self.nickname = nickname
    }

    /// A mail that carries `link`, sealed for this template and recipient.
    public init(template: Template, to: String, nickname: String, link: String, sealedWith seal: MailLinkSeal) throws {
        self.init(template: template, to: to, nickname: nickname)
        sealedLink = try seal.seal(link, template: template, to: to)
    }

    /// The link to put in the mail, if the job carries one.
    public func link(openedWith seal: MailLinkSeal?) throws -> String? {
        if let sealedLink {
            guard let seal else { throw ConfigurationError("a mail with a sealed link, and MAIL_LINK_SECRET is not set") }
            return try seal.open(sealedLink, template: template, to: to)
        }
        return plainLink
    }

    public static let queue = "email"
    public static let kind = "email.send"
}

extension EmailJob {
    /// With the runner's backoff (doubling from 2 s, capped at an hour), 18 attempts span about
    /// seven hours: a mail server down for an afternoon delays mail but does not kill it.
    public static let maxAttempts: Int32 = 18
}

extension NewJob {
    public static func email(_ message: EmailJob, uniqueKey: String? = nil) throws -> NewJob {
        try NewJob(queue: EmailJob.queue, kind: EmailJob.kind, payload: message, maxAttempts: EmailJob.maxAttempts, uniqueKey: uniqueKey)
    }
}

extension EmailJob {
    /// An email job's payload fit to show an operator: a plain link from before links were sealed
    /// is a live token, and even a sealed one is nobody's business.
    public static func redacted(payload: String) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] else { return payload }
        for key in [CodingKeys.plainLink.rawValue, CodingKeys.sealedLink.rawValue] where object[key] != nil {
            object[key] = "[redacted]"
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return payload }
        return String(decoding: data, as: UTF8.self)
    }
}
