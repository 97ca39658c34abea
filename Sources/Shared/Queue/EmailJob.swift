/// A message for the `email` queue: which template, to whom, and what fills it in.
public struct EmailJob: Codable, Sendable, Equatable {
    public enum Template: String, Codable, Sendable, CaseIterable {
        case welcome
        case verifyEmail = "verify_email"
        case passwordReset = "password_reset"
    }

    public var template: Template
    public var to: String
    public var nickname: String
    /// The verification or reset link, for the templates that carry one.
    public var link: String?

    public init(template: Template, to: String, nickname: String, link: String? = nil) {
        self.template = template
        self.to = to
        self.nickname = nickname
        self.link = link
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
