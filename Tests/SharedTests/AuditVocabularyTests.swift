import Foundation
import Shared
import Testing

/// `AuditAction` is the one list of audit actions: docs/analytics.md lists exactly it, and every
/// action named by the analysts' views, the tests and the end-to-end checks is in it.
@Suite struct AuditVocabularyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let vocabulary = Set(AuditAction.allCases.map(\.rawValue))

    @Test func theAnalystsDocumentListsExactlyTheVocabulary() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/analytics.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Actions").dropFirst().first?.components(separatedBy: "\n## ").first)
        let documented = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }
        #expect(documented.count == Set(documented).count, "an action is listed twice")
        #expect(Set(documented) == Self.vocabulary)
    }

    /// A quoted dotted name such as 'post.liked' in SQL, Python or Swift is either a table or an action.
    @Test func everyActionNamedAnywhereIsInTheVocabulary() throws {
        let files = try Self.files(under: ["Sources", "Tests", "docs"], endingIn: [".sql", ".py", ".swift", ".md"])
        let tables = try Self.tables()
        let quoted = try NSRegularExpression(pattern: #"['"]((?:user|auth|admin|post|search|playlist|video|gpt)\.[a-z_]+)['"]"#)
        var unknown: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in quoted.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let name = String(text[Range(match.range(at: 1), in: text)!])
                if !Self.vocabulary.contains(name), !tables.contains(name), !Self.notActions.contains(name) {
                    unknown.append("\(file.lastPathComponent): \(name)")
                }
            }
        }
        #expect(unknown.isEmpty, "actions outside AuditAction: \(unknown)")
    }

    /// Dotted names that are neither tables nor actions: job kinds and settings.
    static let notActions: Set<String> = ["user.changed", "user.erase", "video.thumbnail", "video.transcode", "gpt.currency"]

    /// Every `schema.table` the migrations create.
    static func tables() throws -> Set<String> {
        let create = try NSRegularExpression(pattern: #"CREATE (?:TABLE|VIEW|MATERIALIZED VIEW)(?: IF NOT EXISTS)? ([a-z_]+\.[a-z_0-9]+)"#)
        var names = Set<String>()
        for file in try files(under: ["Sources"], endingIn: [".sql"]) {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in create.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        return names
    }

    static func files(under folders: [String], endingIn suffixes: [String]) throws -> [URL] {
        folders.flatMap { folder -> [URL] in
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            return (enumerator?.allObjects as? [URL] ?? []).filter { url in suffixes.contains { url.path.hasSuffix($0) } }
        }
    }
}
