import Foundation
import Hummingbird
import Logging
import NIOCore
import Shared
import _NIOFileSystem

/// Receives `POST /api/videos`: a multipart body with a `title` field and a `file` part. The file
/// streams to its final place under the media folder chunk by chunk as the client sends it, its
/// container checked from its first bytes; until `commit` the file is invisible (created
/// transactionally), so a failed or cut-off upload leaves nothing behind.
struct MultipartUpload {
    struct Received {
        var title: String
        var container: VideoContainer
        var size: Int64
        /// The open file, invisible until `publish`; `discard` drops it.
        var file: WriteFileHandle
        var relativePath: String

        /// Makes the file visible at `relativePath`.
        func publish() async throws { try await file.close(makeChangesVisible: true) }
    }

    let videoID: UUID
    let media: MediaLayout
    let limits: UploadLimits
    let logger: Logger

    /// Reads the whole body. Throws an `APIError` for bad input (400, 413, 415, 422).
    func receive(_ request: Request) async throws -> Received {
        guard let contentType = request.headers[.contentType], let boundary = MultipartSplitter.boundary(contentType: contentType) else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "Send multipart/form-data with a boundary")
        }
        var splitter = MultipartSplitter(boundary: boundary)
        var title: String?
        var titleBytes = ByteBuffer()
        var current: String?
        var parts = 0
        var head = ByteBuffer()
        // Kept apart from `writer`, which is mutated in place: a copy of it would copy its buffer.
        var file: (handle: WriteFileHandle, container: VideoContainer, path: String)?
        var writer: FileAppender?
        var size: Int64 = 0
        do {
            for try await chunk in request.body {
                let events: [MultipartSplitter.Event]
                do { events = try splitter.feed(chunk) } catch { throw APIError.badRequest("Malformed multipart body: \(error)", code: "malformed_multipart") }
                for event in events {
                    switch event {
                    case .part(let name, _):
                        parts += 1
                        guard parts <= 8 else { throw APIError.badRequest("Too many parts", code: "malformed_multipart") }
                        if name == "file", size > 0 {
                            throw APIError.badRequest("Send one file", code: "malformed_multipart")
                        }
                        current = name
                    case .bytes(var bytes):
                        switch current {
                        case "title":
                            guard titleBytes.readableBytes + bytes.readableBytes <= 4 * limits.text.maxTitleCharacters else {
                                throw APIError.invalid("title is too long", code: "invalid_title")
                            }
                            titleBytes.writeBuffer(&bytes)
                        case "file":
                            size += Int64(bytes.readableBytes)
                            guard size <= limits.maxBytes else { throw limits.tooLarge() }
                            if writer != nil {
                                try await writer!.append(bytes)
                            } else {
                                head.writeBuffer(&bytes)
                                if head.readableBytes >= VideoContainer.sniffLength {
                                    (file, writer) = try await open(head)
                                    head.clear()
                                }
                            }
                        default:
                            break  // fields we do not know are read and dropped
                        }
                    case .partEnd:
                        if current == "file", file == nil {
                            // A file shorter than the sniff window.
                            guard size > 0 else { throw APIError.invalid("file is empty", code: "empty_file") }
                            (file, writer) = try await open(head)
                            head.clear()
                        }
                        if current == "title" { title = String(buffer: titleBytes) }
                        current = nil
                    }
                }
            }
            guard splitter.isComplete else { throw APIError.badRequest("The multipart body ended early", code: "incomplete_body") }
            guard let open = file, writer != nil else { throw APIError.invalid("send the video as the part named file", code: "missing_file") }
            try await writer!.flush()
            return Received(title: try limits.text.title(title ?? ""), container: open.container, size: size, file: open.handle, relativePath: open.path)
        } catch {
            if let open = file {
                // Not cancellable: the handle must close even when the request task is cancelled.
                await Task { try? await open.handle.close(makeChangesVisible: false) }.value
            }
            if error is APIError { throw error }
            if StorageFull.caused(error) {
                logger.warning("an upload met a full media volume", metadata: ["error": "\(error.reason)"])
                throw StorageFull.refusal()
            }
            // The body stream broke: the client went away mid-upload.
            throw APIError.badRequest("The upload was cut off", code: "incomplete_body")
        }
    }

    private func open(_ head: ByteBuffer) async throws -> ((handle: WriteFileHandle, container: VideoContainer, path: String), FileAppender) {
        guard let container = VideoContainer.sniff(head.readableBytesView) else { throw UploadLimits.unsupported() }
        let path = MediaLayout.original(videoID, container: container.rawValue)
        let handle = try await FileSystem.shared.openFile(
            forWritingAt: FilePath(media.url(path).path), options: .newFile(replaceExisting: false))
        var writer = FileAppender(handle: handle)
        do {
            try await writer.append(head)
        } catch {
            try? await handle.close(makeChangesVisible: false)
            throw error
        }
        return ((handle, container, path), writer)
    }
}
