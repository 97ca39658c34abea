import ArgumentParser
import Foundation

/// Writes a generated corpus as COPY text files (authors, posts, post_tags, likes) with the
/// search tokens already computed, for `loadtest/seed-posts.sh` to load with `\copy`.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed", abstract: "Write generated posts as COPY files for the load tests.")

    @Option(help: "How many posts.") var posts = 1_000_000
    @Option(help: "How many authors.") var authors = 10_000
    @Option(help: "The first post id (one past the largest already loaded).") var firstId: Int64 = 1
    @Option(help: "The generator's seed: the same seed, the same posts.") var seed: UInt64 = 42
    @Option(help: "The folder to write authors.tsv, posts.tsv, post_tags.tsv and likes.tsv into.") var out: String

    func run() throws {
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var corpus = PostCorpus(seed: seed, authorCount: authors, postCount: posts)
        let limits = PostLimits()
        let authorsOut = try CopyFile(folder.appendingPathComponent("authors.tsv"))
        let postsOut = try CopyFile(folder.appendingPathComponent("posts.tsv"))
        let tagsOut = try CopyFile(folder.appendingPathComponent("post_tags.tsv"))
        let likesOut = try CopyFile(folder.appendingPathComponent("likes.tsv"))
        for author in corpus.authors {
            authorsOut.row([author.id.uuidString.lowercased(), author.nickname, "f", "0"])
        }
        let time = ISO8601DateFormatter()
        time.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for id in firstId..<(firstId + Int64(posts)) {
            let post = corpus.post(id: id)
            let created = time.string(from: post.createdAt)
            let author = corpus.authors[post.author].id.uuidString.lowercased()
            postsOut.row([
                String(id), author, post.title, post.body, limits.excerpt(of: post.body), "{" + post.tags.joined(separator: ",") + "}",
                String(post.likes), "t", SearchTokenizer.vector(title: post.title, body: post.body), String(SearchTokenizer.version),
                created, created,
            ])
            for tag in post.tags { tagsOut.row([tag, String(id), created, String(post.likes), "t"]) }
            for liker in corpus.likers(post.likes) {
                likesOut.row([String(id), corpus.authors[liker].id.uuidString.lowercased(), created])
            }
            if id % 100_000 == 0 { FileHandle.standardError.write(Data("\(id - firstId + 1) posts\n".utf8)) }
        }
        for file in [authorsOut, postsOut, tagsOut, likesOut] { try file.close() }
    }
}

/// A COPY text-format file, buffered.
final class CopyFile {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(1 << 20)
    }

    func row(_ fields: [String]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { buffer.append(0x09) }
            buffer.append(contentsOf: Self.escaped(field).utf8)
        }
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    func close() throws {
        flush()
        try handle.close()
    }

    private func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private static func escaped(_ field: String) -> String {
        guard field.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return field }
        var out = ""
        for c in field {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(c)
            }
        }
        return out
    }
}
