import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shared
import _NIOFileSystem

/// `/api/videos/uploads`: resumable uploads by the tus 1.0 protocol (core, creation, expiration,
/// termination). The client creates an upload with its length and title, `PATCH`es chunks at the
/// offset the server reports (`HEAD` tells it after a break), and the last chunk turns the upload
/// into a video exactly like `POST /api/videos` does: 202 `{id, status}` with the jobs queued.
struct ResumableUploadsController: Sendable {
    let store: ResumableUploadStore
    let videos: VideosController
    let media: MediaLayout
    let limits: UploadLimits
    let quota: UploadQuota
    let volume: MediaVolume
    let logger: Logger

    static let version = "1.0.0"

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.on("", method: .options, use: options)
        group.post(use: create)
        group.head(":id", use: status)
        group.patch(":id", use: append)
        group.delete(":id", use: terminate)
    }

    private var discovery: HTTPFields {
        [.tusResumable: Self.version, .tusVersion: Self.version, .tusExtension: "creation,expiration,termination",
         .tusMaxSize: String(limits.maxBytes)]
    }

    @Sendable func options(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(status: .noContent, headers: discovery)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try checkVersion(request)
        let owner = try PostsController.userID(try context.requireIdentity())
        guard request.headers[.uploadDeferLength] == nil else {
            throw APIError.badRequest("Give Upload-Length: deferred lengths are not supported", code: "length_required")
        }
        guard let length = TusHeaders.byteCount(request.headers[.uploadLength]) else {
            throw APIError.badRequest("Upload-Length must be a whole number of bytes", code: "invalid_upload_length")
        }
        guard length > 0 else { throw APIError.invalid("file is empty", code: "empty_file") }
        guard length <= limits.maxBytes else { throw limits.tooLarge() }
        let metadata: [String: String]
        do {
            metadata = try TusHeaders.metadata(request.headers[.uploadMetadata] ?? "")
        } catch {
            throw APIError.badRequest("Upload-Metadata must be at most \(TusHeaders.maxMetadataBytes) bytes of key base64value pairs of UTF-8 text",
                                      code: "invalid_upload_metadata")
        }
        let title = try limits.title(metadata["title"] ?? "")
        try quota.checkSpace(for: length, free: volume.freeBytes)
        let id = UUID()
        let path = FilePath(media.url(MediaLayout.resumable(id)).path)
        try await FileSystem.shared.withFileHandle(forWritingAt: path, options: .newFile(replaceExisting: false)) { _ in }
        let upload: ResumableUploadStore.Upload
        do {
            upload = try await store.create(id: id, ownerID: owner, title: title, length: length, expiresIn: limits.resumableExpiry) {
                [quota] usage in try quota.admit(length, usage: usage)
            }
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: path)
            throw error
        }
        var headers = headers(upload)
        headers[.location] = "/api/videos/uploads/\(id.uuidString.lowercased())"
        return Response(status: .created, headers: headers)
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> Response {
        try checkVersion(request)
        let upload = try await owned(request, context)
        var headers = headers(upload)
        headers[.uploadLength] = String(upload.length)
        return Response(status: .ok, headers: headers)
    }

    @Sendable func append(_ request: Request, context: AppRequestContext) async throws -> Response {
        try checkVersion(request)
        guard request.headers[.contentType]?.lowercased() == "application/offset+octet-stream" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "Send chunks as application/offset+octet-stream")
        }
        var upload = try await owned(request, context)
        guard let offset = TusHeaders.byteCount(request.headers[.uploadOffset]) else {
            throw APIError.badRequest("Upload-Offset must be a whole number of bytes", code: "invalid_upload_offset")
        }
        guard offset == upload.offset else {
            throw APIError(.conflict, code: "offset_mismatch", message: "The upload is at \(upload.offset) bytes, not \(offset)",
                           headers: [.uploadOffset: String(upload.offset), .tusResumable: Self.version])
        }
        // Room for the rest of the upload now, or nothing of this chunk is written.
        try quota.checkSpace(for: upload.length - upload.offset, free: volume.freeBytes)
        guard try await store.acquire(id: upload.id, at: offset) else {
            throw APIError(.conflict, code: "upload_busy", message: "Another request is appending to this upload; ask HEAD for the offset",
                           headers: [.tusResumable: Self.version])
        }
        let (written, container, received) = await receive(request, into: upload)
        var failure = received
        upload.offset += written
        upload.container = upload.container ?? container
        if upload.container == nil, upload.offset >= min(Int64(VideoContainer.sniffLength), upload.length) {
            // Bytes that came in without a check (an upload begun before chunks were checked as
            // they arrive): checked from disk now.
            upload.container = try await sniffFromDisk(upload)
            if upload.container == nil { failure = UploadLimits.Refusal.notAVideo }
        }
        if case .notAVideo = failure as? UploadLimits.Refusal {
            try await discard(upload)
            throw UploadLimits.unsupported()
        }
        upload.expiresAt = try await store.release(id: upload.id, offset: upload.offset, container: upload.container,
                                                   expiresIn: limits.resumableExpiry)
        // A broken connection has nobody to answer; bad input does.
        if let failure = failure as? APIError { throw failure }
        guard upload.offset == upload.length, let container = upload.container else {
            return Response(status: .noContent, headers: headers(upload))
        }
        return try await finish(upload, container: container, request: request, context: context)
    }

    @Sendable func terminate(_ request: Request, context: AppRequestContext) async throws -> Response {
        try checkVersion(request)
        let upload = try await owned(request, context)
        guard try await store.acquire(id: upload.id, at: upload.offset) else {
            throw APIError(.conflict, code: "upload_busy", message: "Another request is appending to this upload")
        }
        try await discard(upload)
        return Response(status: .noContent, headers: [.tusResumable: Self.version])
    }

    /// Appends the body at the upload's offset, up to its length. Until the container is known,
    /// the first bytes are held back: once `VideoContainer.sniffLength` of the file are in, they
    /// are checked before anything more is written, so a file that is no video leaves at most
    /// that much on disk. Returns the bytes now on disk, the container if this chunk decided it,
    /// and the error that cut the chunk short, if any: a broken connection keeps what arrived.
    private func receive(_ request: Request, into upload: ResumableUploadStore.Upload) async
        -> (written: Int64, container: VideoContainer?, failure: (any Error)?) {
        let remaining = upload.length - upload.offset
        var written: Int64 = 0
        var container = upload.container
        let sniffEnd = min(Int64(VideoContainer.sniffLength), upload.length)
        let renewal = Task { [store] in
            while !Task.isCancelled {
                try await Task.sleep(for: store.lease / 3)
                try await store.renew(id: upload.id)
            }
        }
        defer { renewal.cancel() }
        do {
            let path = FilePath(media.url(MediaLayout.resumable(upload.id)).path)
            try await FileSystem.shared.withFileHandle(forWritingAt: path, options: .modifyFile(createIfNecessary: false)) { handle in
                var writer = FileAppender(handle: handle, startingAt: upload.offset)
                do {
                    for try await var chunk in request.body {
                        // What fits before Upload-Length; the rest is refused after it is written.
                        let overflows = Int64(chunk.readableBytes) > remaining - written
                        if overflows { chunk = chunk.readSlice(length: Int(remaining - written)) ?? ByteBuffer() }
                        if container == nil, upload.offset + written + Int64(chunk.readableBytes) >= sniffEnd {
                            // What is on disk already, then this chunk's share of the sniff window.
                            try await writer.flush()
                            let onDisk = upload.offset + written
                            var head = onDisk == 0 ? ByteBuffer() : try await FileSystem.shared.withFileHandle(forReadingAt: path) {
                                try await $0.readChunk(fromAbsoluteOffset: 0, length: .bytes(onDisk))
                            }
                            let share = Int(max(0, min(sniffEnd - onDisk, Int64(chunk.readableBytes))))
                            head.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex, length: share) ?? ByteBuffer())
                            guard let sniffed = VideoContainer.sniff(head.readableBytesView) else { throw UploadLimits.Refusal.notAVideo }
                            container = sniffed
                        }
                        written += Int64(chunk.readableBytes)
                        try await writer.append(chunk)
                        if overflows {
                            throw APIError(.contentTooLarge, code: "payload_too_large", message: "The chunk goes past Upload-Length")
                        }
                    }
                    try await writer.flush()
                } catch {
                    // Keep what arrived before the break: the client resumes after it.
                    try await writer.flush()
                    throw error
                }
            }
            return (written, container, nil)
        } catch {
            logger.info("resumable chunk cut short", metadata: ["upload": "\(upload.id)", "bytes": "\(written)", "error": "\(error.reason)"])
            return (written, container, error)
        }
    }

    private func finish(_ upload: ResumableUploadStore.Upload, container: VideoContainer, request: Request,
                        context: AppRequestContext) async throws -> Response {
        let source = MediaLayout.original(upload.id, container: container.rawValue)
        try await FileSystem.shared.moveItem(at: FilePath(media.url(MediaLayout.resumable(upload.id)).path),
                                             to: FilePath(media.url(source).path))
        try await videos.register(VideoStore.NewVideo(
            id: upload.id, ownerID: upload.ownerID, title: upload.title, sourcePath: source, container: container,
            sizeBytes: upload.length), request: request, context: context)
        try await store.delete(id: upload.id)
        var response = try VideosController.accepted(upload.id).response(from: request, context: context)
        response.headers[.uploadOffset] = String(upload.offset)
        response.headers[.tusResumable] = Self.version
        return response
    }

    private func sniffFromDisk(_ upload: ResumableUploadStore.Upload) async throws -> VideoContainer? {
        let head = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(media.url(MediaLayout.resumable(upload.id)).path)) {
            try await $0.readChunk(fromAbsoluteOffset: 0, length: .bytes(Int64(VideoContainer.sniffLength)))
        }
        return VideoContainer.sniff(head.readableBytesView)
    }

    private func discard(_ upload: ResumableUploadStore.Upload) async throws {
        try await store.delete(id: upload.id)
        _ = try? await FileSystem.shared.removeItem(at: FilePath(media.url(MediaLayout.resumable(upload.id)).path))
    }

    /// The caller's own upload; someone else's is a 404 like one that does not exist.
    private func owned(_ request: Request, _ context: AppRequestContext) async throws -> ResumableUploadStore.Upload {
        let identity = try context.requireIdentity()
        let notFound = APIError.notFound("No such upload (it may have expired)")
        let id = try context.uuid("id", orElse: notFound)
        guard let upload = try await store.find(id: id), upload.ownerID.lowercased() == identity.userID.lowercased()
        else { throw notFound }
        return upload
    }

    private func headers(_ upload: ResumableUploadStore.Upload) -> HTTPFields {
        [.tusResumable: Self.version, .uploadOffset: String(upload.offset), .uploadExpires: upload.expiresAt.internetFormat(),
         .cacheControl: "no-store"]
    }

    private func checkVersion(_ request: Request) throws {
        guard request.headers[.tusResumable] == Self.version else {
            throw APIError(.preconditionFailed, code: "tus_version", message: "Send Tus-Resumable: \(Self.version)",
                           headers: [.tusVersion: Self.version])
        }
    }
}

extension HTTPField.Name {
    static let tusResumable = Self("Tus-Resumable")!
    static let tusVersion = Self("Tus-Version")!
    static let tusExtension = Self("Tus-Extension")!
    static let tusMaxSize = Self("Tus-Max-Size")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadExpires = Self("Upload-Expires")!
    static let uploadDeferLength = Self("Upload-Defer-Length")!
}
