import Foundation
import Shared

/// Renders the plain-text messages. Everything user-supplied is stripped of control characters,
/// so a nickname cannot add headers.
enum EmailTemplates {
    /// - Parameter link: the job's link, opened (`EmailJob.link(openedWith:)`).
    static func render(_ email: EmailJob, link: String?, from: String, messageID: String, date: Date = Date()) throws -> String {
        guard EmailAddress.isValid(email.to) else {
            throw JobFailure("recipient \(email.to.debugDescription) is not an email address", permanent: true)
        }
        let name = clean(email.nickname).isEmpty ? "there" : clean(email.nickname)
        let subject: String
        var lines: [String]
        switch email.template {
        case .welcome:
            subject = "Welcome to Content Platform"
            lines = ["Hello \(name),", "", "Welcome aboard! Your account is ready."]
        case .verifyEmail:
            guard let link = link.map(clean), !link.isEmpty else { throw JobFailure("verification mail without a link", permanent: true) }
            subject = "Confirm your email address"
            lines = ["Hello \(name),", "", "Please confirm your email address by opening this link:", "", link, "",
                     "The link works once and expires. If you did not sign up, ignore this message."]
        case .passwordReset:
            guard let link = link.map(clean), !link.isEmpty else { throw JobFailure("reset mail without a link", permanent: true) }
            subject = "Reset your password"
            lines = ["Hello \(name),", "", "Someone asked to reset your password. To choose a new one, open:", "", link, "",
                     "The link works once and expires soon. If it was not you, ignore this message: your password is unchanged."]
        case .passwordChanged:
            subject = "Your password was changed"
            lines = ["Hello \(name),", "", "The password of your account was just changed, and every device was signed out.", "",
                     "If it was not you, choose a new password at once with \"Forgot password\" on the sign-in page."]
        case .accountDeleted:
            subject = "Your account was deleted"
            lines = ["Hello \(name),", "", "Your account and everything you published have been deleted, as you asked.", "",
                     "This is the last message we send to this address."]
        }
        lines += ["", "-- ", "Content Platform"]
        let headers = [
            "From: \(from)",
            "To: <\(email.to)>",
            "Subject: \(subject)",
            "Date: \(date.internetFormat(mail: true))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        return (headers + [""] + lines).joined(separator: "\r\n") + "\r\n"
    }

    static func clean(_ text: String) -> String {
        String(text.unicodeScalars.filter { !$0.properties.generalCategory.isControl }.prefix(200).map(Character.init))
    }
}

extension Unicode.GeneralCategory {
    var isControl: Bool { self == .control || self == .format || self == .lineSeparator || self == .paragraphSeparator }
}
