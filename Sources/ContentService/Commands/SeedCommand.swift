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
    private var buffer: [UInt8] = []

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
            Self.appendEscaped(field, to: &buffer)
        }
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    func close() throws {
        flush()
        try handle.close()
    }

    private func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    /// COPY's text format: backslash, tab, newline and carriage return escaped; bytes, not
    /// characters, so a long body costs no grapheme breaking.
    private static func appendEscaped(_ field: String, to buffer: inout [UInt8]) {
        var field = field
        field.withUTF8 { bytes in
            guard bytes.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
                buffer.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
                case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
                case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
                default: buffer.append(byte)
                }
            }
        }
    }
}
