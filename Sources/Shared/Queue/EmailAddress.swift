/// What counts as an email address, for AuthService (which accepts it at signup) and the Workers
/// (which send to it): the same rule in both, so no account is created that can never get mail.
public enum EmailAddress {
    public static let maxLength = 254

    /// `local@domain.tld` in printable ASCII, without the characters that need quoting in SMTP.
    public static func isValid(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64, address.utf8.count <= maxLength else { return false }
        let domain = parts[1]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return false }
        return address.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"<>()[],;:\"\\".unicodeScalars.contains($0) }
    }
}
