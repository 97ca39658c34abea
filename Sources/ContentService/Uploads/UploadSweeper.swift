import Foundation
import Logging
import Metrics
import PostgresNIO
import Shared

/// Throws away what uploads leave behind: resumable uploads past their expiry, and files that no
/// row owns any more (an instance that died between writing a file and committing its row).
struct UploadSweeper: Sendable {
    let database: Database
    let store: ResumableUploadStore
    let media: MediaLayout
    let logger: Logger
    /// A file without a row is left alone this long: its request may still be committing.
    var orphanAge: TimeInterval = 3600

    private let removed = Counter(label: "content_upload_files_swept_total")

    init(database: Database, store: ResumableUploadStore, media: MediaLayout, logger: Logger) {
        self.database = database
        self.store = store
        self.media = media
        self.logger = logger
    }

    func sweep() async throws {
        for id in try await store.expire() {
            remove(MediaLayout.resumable(id))
        }
        try await sweepOrphans(in: MediaLayout.incoming, table: "content.uploads")
        try await sweepOrphans(in: MediaLayout.originals, table: "content.videos")
    }

    private func sweepOrphans(in folder: String, table: String) async throws {
        let directory = media.url(folder)
        let cutoff = Date().addingTimeInterval(-orphanAge)
        let old = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
        let candidates: [(UUID, URL)] = old.compactMap { url in
            guard let modified = try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate, modified < cutoff,
                  let id = UUID(uuidString: String(url.lastPathComponent.prefix(36)))
            else { return nil }
            return (id, url)
        }
        guard !candidates.isEmpty else { return }
        let ids = candidates.map(\.0)
        let owned = Set(try await database.query(
            "SELECT id FROM \(unescaped: table) WHERE id = ANY(\(ids)::uuid[])", logger: logger).map { try $0.decode(UUID.self) })
        for (id, url) in candidates where !owned.contains(id) {
            logger.warning("removing an upload file no row owns", metadata: ["file": .string("\(folder)/\(url.lastPathComponent)")])
            try? FileManager.default.removeItem(at: url)
            removed.increment()
        }
    }

    private func remove(_ relative: String) {
        if let url = media.resolve(relative), (try? FileManager.default.removeItem(at: url)) != nil { removed.increment() }
    }
}
