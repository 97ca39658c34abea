import Foundation

/// Where a video's files live under the media folder. Every path derives from the video's id, so
/// whoever deletes a video (ContentService) and whoever makes its files (the Workers) agree on what
/// to remove without reading each other's rows, and no name ever comes from a client.
public struct MediaLayout: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The bytes free on the volume under `root` as an unprivileged process may use them; nil
    /// when it cannot be read. A system call that a hung network mount can stall: run it off the
    /// event loops and the cooperative pool.
    public static func freeBytes(under root: URL) -> Int64? {
        var stats = statvfs()
        guard statvfs(root.path, &stats) == 0 else { return nil }
        let (bytes, overflow) = Int64(stats.f_bavail).multipliedReportingOverflow(by: Int64(stats.f_frsize))
        return overflow ? Int64.max : bytes
    }

    /// Uploads being received; a finished one is renamed into `originals/`.
    public static let incoming = "incoming"
    public static let originals = "originals"
    public static let renditions = "renditions"
    public static let thumbnails = "thumbnails"
    /// Every folder the layout uses, for whoever prepares the media folder.
    public static let folders = [incoming, originals, renditions, thumbnails]

    /// The bytes of a resumable upload so far.
    public static func resumable(_ id: UUID) -> String { "\(incoming)/\(name(id)).tus" }
    public static func original(_ id: UUID, container: String) -> String { "\(originals)/\(name(id)).\(container)" }
    public static func rendition(_ id: UUID) -> String { "\(renditions)/\(name(id)).mp4" }
    public static func thumbnail(_ id: UUID) -> String { "\(thumbnails)/\(name(id)).jpg" }
    /// A finished output is written under this name first and renamed, so nginx never serves half a file.
    public static func partial(_ relative: String) -> String { relative + ".partial" }

    public func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The absolute location of a stored relative path, if it stays inside the media folder.
    public func resolve(_ relative: String) -> URL? {
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else { return nil }
        return url(relative)
    }

    /// Removes every file a video may have, finished or partial; missing ones are fine.
    public func removeFiles(of id: UUID, original: String?) {
        var paths = [Self.rendition(id), Self.thumbnail(id)]
        paths += paths.map(Self.partial)
        if let original { paths.append(original) }
        for relative in paths {
            if let url = resolve(relative) { try? FileManager.default.removeItem(at: url) }
        }
    }

    private static func name(_ id: UUID) -> String { id.uuidString.lowercased() }
}
