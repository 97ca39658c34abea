/// Splits a SQL script into statements on the semicolons that end them, skipping those inside
/// quotes, dollar-quoted bodies (functions) and comments.
public enum SQLStatements {
    public static func split(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0

        func flush() {
            let text = String(current).trimmingWhitespace()
            if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
            current = .init()
        }
        func copy(until end: Int) {
            current.append(contentsOf: chars[i..<min(end, chars.count)])
            i = min(end, chars.count)
        }

        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "'", "\"":
                var j = i + 1
                while j < chars.count {
                    if chars[j] == c {
                        if j + 1 < chars.count && chars[j + 1] == c { j += 2; continue }  // doubled quote
                        break
                    }
                    j += 1
                }
                copy(until: j + 1)
            case "-" where next == "-":
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                copy(until: j)
            case "/" where next == "*":
                var j = i + 2
                while j + 1 < chars.count && !(chars[j] == "*" && chars[j + 1] == "/") { j += 1 }
                copy(until: j + 2)
            case "$":
                // $tag$ ... $tag$ where tag is empty or an identifier.
                var j = i + 1
                while j < chars.count && (chars[j].properties.isAlphabetic || chars[j] == "_" || ("0"..."9").contains(chars[j])) { j += 1 }
                if j < chars.count && chars[j] == "$" {
                    let tag = Array(chars[i...j])
                    var k = j + 1
                    while k < chars.count {
                        if chars[k] == "$" && k + tag.count <= chars.count && Array(chars[k..<k + tag.count]) == tag { break }
                        k += 1
                    }
                    copy(until: k + tag.count)
                } else {
                    copy(until: i + 1)
                }
            case ";":
                i += 1
                flush()
            default:
                copy(until: i + 1)
            }
        }
        flush()
        return statements
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingWhitespace().isEmpty || $0.trimmingWhitespace().hasPrefix("--") }
    }
}
