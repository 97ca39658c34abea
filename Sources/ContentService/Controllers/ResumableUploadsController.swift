import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Shared

/// `/api/videos/uploads`: resumable uploads by the tus 1.0 protocol (core, creation, expiration,
/// termination). The client creates an upload with its length and title, `PATCH`es chunks at the
/// offset the server reports (`HEAD` tells it after a break), and the last chunk turns the upload
/// into a video exactly like `POST /api/videos` does: 202 `{id, status}` with the jobs queued.
struct ResumableUploadsController: Sendable {
    let store: ResumableUploadStore
    let registration: VideoRegistration
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
        let owner = try Ownership.ownerID(of: try context.requireIdentity())
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
        let title = try limits.text.title(metadata["title"] ?? "")
        try quota.checkSpace(for: length, free: volume.freeBytes)
        let id = UUID()
        let file = self.file(id)
        try await file.create()
        let upload: ResumableUploadStore.Upload
        do {
            upload = try await store.create(id: id, ownerID: owner, title: title, length: length, expiresIn: limits.resumableExpiry) {
                [quota] usage in try quota.admit(length, usage: usage)
            }
        } catch {
            await file.remove()
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
        let file = self.file(upload.id)
        let appended = await whileLeased(upload) {
            await file.append(request.body, at: upload.offset, length: upload.length, container: upload.container)
        }
        var failure = appended.failure
        upload.offset += appended.written
        upload.container = upload.container ?? appended.container
        if upload.container == nil, upload.offset >= min(Int64(VideoContainer.sniffLength), upload.length) {
            // Bytes that came in without a check (an upload begun before chunks were checked as
            // they arrive): checked from disk now.
            upload.container = try await file.sniffFromDisk()
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

    /// Runs `body` while renewing the upload's lease, so a long chunk keeps it.
    private func whileLeased<T>(_ upload: ResumableUploadStore.Upload, _ body: () async -> T) async -> T {
        let renewal = Task { [store] in
            while !Task.isCancelled {
                try await Task.sleep(for: store.lease / 3)
                try await store.renew(id: upload.id)
            }
        }
        defer { renewal.cancel() }
        return await body()
    }

    private func finish(_ upload: ResumableUploadStore.Upload, container: VideoContainer, request: Request,
                        context: AppRequestContext) async throws -> Response {
        let source = try await file(upload.id).promote(as: container)
        try await registration.register(VideoStore.NewVideo(
            id: upload.id, ownerID: upload.ownerID, title: upload.title, sourcePath: source, container: container,
            sizeBytes: upload.length), origin: AuditOrigin(request, context))
        try await store.delete(id: upload.id)
        var response = try UploadAccepted.response(upload.id).response(from: request, context: context)
        response.headers[.uploadOffset] = String(upload.offset)
        response.headers[.tusResumable] = Self.version
        return response
    }

    private func discard(_ upload: ResumableUploadStore.Upload) async throws {
        try await store.delete(id: upload.id)
        await file(upload.id).remove()
    }

    private func file(_ id: UUID) -> ResumableUploadFile {
        ResumableUploadFile(id: id, media: media, logger: logger)
    }

    /// The caller's own upload; someone else's is a 404 like one that does not exist.
    private func owned(_ request: Request, _ context: AppRequestContext) async throws -> ResumableUploadStore.Upload {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: ResumableUploadPolicy.notFound)
        guard let upload = try await store.find(id: id), ResumableUploadPolicy.mayUse(upload, by: identity) else {
            throw ResumableUploadPolicy.notFound
        }
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
