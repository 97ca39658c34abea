/// Text as a reader sees it: without what does not show, and cut between characters.
extension String {
    /// Without the characters that do not show but can carry text or change how it reads:
    /// format characters (zero-width spaces and joiners, bidirectional controls, Unicode tag
    /// characters, the usual carrier of a hidden prompt), variation selectors, and controls other
    /// than line breaks and tabs. For text whose meaning must be what a reader sees, such as a
    /// question sent to a model and keyed in a shared cache.
    public func removingInvisibles() -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars where !Self.isInvisible(scalar) { scalars.append(scalar) }
        return String(scalars)
    }

    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value < 0x20 && scalar != "\n" && scalar != "\t" || scalar.value == 0x7F }
        if scalar.properties.isVariationSelector { return true }
        switch scalar.properties.generalCategory {
        case .format, .control, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }
}

extension StringProtocol {
    /// At most `scalars` code points and `bytes` bytes of UTF-8, cut between characters: for
    /// text that is stored or logged in part (a question in the usage ledger), whatever it holds.
    public func prefix(scalars: Int, bytes: Int) -> String {
        var kept = 0, keptScalars = 0, keptBytes = 0
        for character in self {
            let s = character.unicodeScalars.count, b = character.utf8.count
            guard keptScalars + s <= scalars, keptBytes + b <= bytes else { break }
            keptScalars += s
            keptBytes += b
            kept += 1
        }
        return String(self.prefix(kept))
    }
}
