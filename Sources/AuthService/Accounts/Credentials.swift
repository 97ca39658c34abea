import Foundation
import Shared

/// The rules for what a client may send as email, nickname and password.
enum Credentials {
    static let passwordBytes = 8...72
    static let nicknameLength = 1...50

    /// Trimmed and lower-cased, so `Ann@Example.com ` and `ann@example.com` are one account.
    static func normalizedEmail(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// A normalised email the Workers can send to, or 422.
    static func validEmail(_ raw: String) throws -> String {
        let email = normalizedEmail(raw)
        guard EmailAddress.isValid(email) else {
            throw APIError.invalid("email must be a valid ASCII address of at most \(EmailAddress.maxLength) characters", code: "invalid_email")
        }
        return email
    }

    /// Shown beside everything a user publishes: no invisible characters to pass for someone else.
    static func validNickname(_ raw: String) throws -> String {
        try TextRule(field: "nickname", scalars: nicknameLength, allowsInvisibles: false).check(raw)
    }

    /// 8 to 72 bytes of UTF-8 without NUL. bcrypt ignores everything after byte 72 and stops at a
    /// NUL, so a longer password is refused rather than silently cut.
    static func validatePassword(_ password: String) throws {
        guard isAcceptablePassword(password) else {
            throw APIError.invalid("password must be 8 to 72 bytes of UTF-8 without NUL characters", code: "invalid_password")
        }
    }

    static func isAcceptablePassword(_ password: String) -> Bool {
        passwordBytes.contains(password.utf8.count) && !password.utf8.contains(0)
    }
}
