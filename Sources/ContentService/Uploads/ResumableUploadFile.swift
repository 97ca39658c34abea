import Foundation
import Logging
import NIOCore
import Shared
import _NIOFileSystem

/// The file of a resumable upload in the media folder's `incoming/`: created empty, appended to
/// chunk by chunk, its first bytes checked to be a video, then moved among the originals or
/// removed.
struct ResumableUploadFile: Sendable {
    let id: UUID
    let media: MediaLayout
    let logger: Logger

    /// What one chunk did: the bytes now on disk, the container if this chunk decided it, and the
    /// error that cut it short, if any (a broken connection keeps what arrived).
    struct Appended {
        var written: Int64
        var container: VideoContainer?
        var failure: (any Error)?
    }

    private var path: FilePath { FilePath(media.url(MediaLayout.resumable(id)).path) }

    func create() async throws {
        try await FileSystem.shared.withFileHandle(forWritingAt: path, options: .newFile(replaceExisting: false)) { _ in }
    }

    /// Appends `body` at `offset`, up to `length`. Until the container is known, the first bytes
    /// are held back: once `VideoContainer.sniffLength` of the file are in, they are checked
    /// before anything more is written, so a file that is no video leaves at most that much on
    /// disk. Bytes past `length` are refused (413) after what fits is written.
    func append(_ body: some AsyncSequence<ByteBuffer, any Error>, at offset: Int64, length: Int64,
                container known: VideoContainer?) async -> Appended {
        let remaining = length - offset
        var written: Int64 = 0
        var container = known
        let sniffEnd = min(Int64(VideoContainer.sniffLength), length)
        do {
            try await FileSystem.shared.withFileHandle(forWritingAt: path, options: .modifyFile(createIfNecessary: false)) { handle in
                var writer = FileAppender(handle: handle, startingAt: offset)
                do {
                    for try await var chunk in body {
                        let appended = writer.appended - offset
                        let overflows = Int64(chunk.readableBytes) > remaining - appended
                        if overflows { chunk = chunk.readSlice(length: Int(remaining - appended)) ?? ByteBuffer() }
                        if container == nil, writer.appended + Int64(chunk.readableBytes) >= sniffEnd {
                            try await writer.flush()
                            container = try await sniff(onDisk: writer.offset, then: chunk, upTo: sniffEnd)
                        }
                        try await writer.append(chunk)
                        if overflows {
                            throw APIError(.contentTooLarge, code: "payload_too_large", message: "The chunk goes past Upload-Length")
                        }
                    }
                    try await writer.flush()
                    written = writer.offset - offset
                } catch {
                    // Keep what arrived before the break: the client resumes after it. Only what
                    // reached the file counts: on a full volume the last bytes may not have.
                    try? await writer.flush()
                    written = writer.offset - offset
                    throw error
                }
            }
            return Appended(written: written, container: container, failure: nil)
        } catch {
            logger.info("resumable chunk cut short", metadata: ["upload": "\(id)", "bytes": "\(written)", "error": "\(error.reason)"])
            return Appended(written: written, container: container, failure: StorageFull.caused(error) ? StorageFull.refusal() : error)
        }
    }

    /// The container of the file's first `sniffEnd` bytes: those on disk, then `chunk`'s share.
    private func sniff(onDisk: Int64, then chunk: ByteBuffer, upTo sniffEnd: Int64) async throws -> VideoContainer {
        var head = onDisk == 0 ? ByteBuffer() : try await FileSystem.shared.withFileHandle(forReadingAt: path) {
            try await $0.readChunk(fromAbsoluteOffset: 0, length: .bytes(onDisk))
        }
        let share = Int(max(0, min(sniffEnd - onDisk, Int64(chunk.readableBytes))))
        head.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex, length: share) ?? ByteBuffer())
        guard let sniffed = VideoContainer.sniff(head.readableBytesView) else { throw UploadLimits.Refusal.notAVideo }
        return sniffed
    }

    /// The container of the bytes already on disk, for bytes that came in without a check.
    func sniffFromDisk() async throws -> VideoContainer? {
        let head = try await FileSystem.shared.withFileHandle(forReadingAt: path) {
            try await $0.readChunk(fromAbsoluteOffset: 0, length: .bytes(Int64(VideoContainer.sniffLength)))
        }
        return VideoContainer.sniff(head.readableBytesView)
    }

    /// Moves the complete file among the originals; returns its path there.
    func promote(as container: VideoContainer) async throws -> String {
        let source = MediaLayout.original(id, container: container.rawValue)
        try await FileSystem.shared.moveItem(at: path, to: FilePath(media.url(source).path))
        return source
    }

    func remove() async {
        _ = try? await FileSystem.shared.removeItem(at: path)
    }
}
