extension StringProtocol {
    /// Without white space (Unicode's, line breaks included) at either end. Native, because
    /// Foundation's `trimmingCharacters(in:)` bridges through NSString, which showed in the
    /// profile of every request that trims a header or a question.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
