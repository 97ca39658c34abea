import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Shared

/// `/api/videos`: uploads in one request, the videos' status, deletes and plays.
struct VideosController: Sendable {
    let database: Database
    let store: VideoStore
    let uploads: ResumableUploadStore
    let media: MediaLayout
    let limits: UploadLimits
    let quota: UploadQuota
    let volume: MediaVolume
    let paging: PagingLimits
    let plays: PlayCounter
    let audit: JobBatcher<AuditEvent>
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: upload)
        group.get(use: list)
        group.get(":id", use: show)
        group.delete(":id", use: delete)
        group.post(":id/plays", use: play)
    }

    /// What an accepted upload answers at once: the jobs are queued, the rest shows on `GET`.
    struct Accepted: ResponseEncodable, Codable {
        var id: String
        var status: String
    }

    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Accepted> {
        let identity = try context.requireIdentity()
        let owner = try PostsController.userID(identity)
        // The body's length bounds the file's; without one, the largest file allowed.
        let length = request.headers[.contentLength].flatMap(Int64.init).map { min($0, limits.maxBytes) } ?? limits.maxBytes
        try quota.checkSpace(for: length, free: volume.freeBytes)
        let id = UUID()
        // While it streams, the upload holds a reservation like a resumable one: it counts among
        // the account's open uploads and bytes in flight, taken under the same per-account lock,
        // so a hundred uploads at once cannot each pass a limit only one fits. A reservation a
        // crash leaves behind expires within the hour.
        _ = try await uploads.create(id: id, ownerID: owner, title: "(one-request upload)", length: max(1, length),
                                     expiresIn: .seconds(3600)) { [quota] usage in try quota.admit(length, usage: usage) }
        do {
            let received = try await MultipartUpload(videoID: id, media: media, limits: limits).receive(request)
            // Visible before the jobs can be claimed, so a worker never finds the upload missing.
            try await received.publish()
            let video = VideoStore.NewVideo(id: id, ownerID: owner, title: received.title, sourcePath: received.relativePath,
                                            container: received.container, sizeBytes: received.size)
            try await register(video, request: request, context: context)
        } catch {
            try? await uploads.delete(id: id)
            throw error
        }
        try? await uploads.delete(id: id)
        return Self.accepted(id)
    }

    /// Records an upload whose file is in place, with its jobs; without a row, the file goes.
    func register(_ video: VideoStore.NewVideo, request: Request, context: AppRequestContext) async throws {
        do {
            try await database.withTransaction(logger: logger) { connection in
                try await store.insert(video, audit: AuditEvent(
                    "video.uploaded", actorID: video.ownerID, targetType: "video", targetID: video.id.uuidString.lowercased(),
                    payload: ["size_bytes": String(video.sizeBytes), "container": video.container.rawValue],
                    request: request, context: context), on: connection)
            }
        } catch {
            media.removeFiles(of: video.id, original: video.sourcePath)
            throw error
        }
    }

    static func accepted(_ id: UUID) -> EditedResponse<Accepted> {
        let text = id.uuidString.lowercased()
        return EditedResponse(status: .accepted, headers: [.location: "/api/videos/\(text)"], response: Accepted(id: text, status: "processing"))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> OffsetPage<Video> {
        let query = request.uri.queryParameters
        let page = try paging.offsetRequest(query, listing: "the video listing")
        var owner: String?
        if let text = query.get("ownerId") {
            guard let id = UUID(uuidString: text) else { throw APIError.invalid("ownerId is not a user id", code: "invalid_owner") }
            owner = id.uuidString.lowercased()
        }
        let all = VideoPolicy.listsAll(ownerID: owner, by: context.identity)
        return OffsetPage(items: try await store.list(ownerID: owner, all: all, page: page), request: page)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Video {
        guard let found = try await store.find(id: try context.uuid("id", orElse: Self.notFound)),
              VideoPolicy.maySee(status: found.video.status, ownerID: found.video.ownerId, ownerBanned: found.ownerBanned, by: context.identity)
        else { throw Self.notFound }
        return found.video
    }

    /// Removes the row (and its playlist items) and then the files; a job still running finds
    /// no row when it finishes and removes what it made (see the Workers' video handlers).
    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: Self.notFound)
        let source = try await database.withTransaction(logger: logger) { connection -> String in
            guard let owner = try await store.lockOwner(id: id, on: connection) else { throw Self.notFound }
            guard VideoPolicy.mayDelete(identity, ownerID: owner) else {
                throw APIError.forbidden("Only the owner or an administrator may delete this video")
            }
            let (_, source) = try await store.delete(id: id, on: connection)!
            try await JobQueue.enqueue([.audit(AuditEvent(
                "video.deleted", actorID: identity.userID, targetType: "video", targetID: id.uuidString.lowercased(),
                payload: ["owner": owner], request: request, context: context))], on: connection, logger: logger)
            return source
        }
        media.removeFiles(of: id, original: source)
        return .noContent
    }

    /// Counts one play per viewer per video per window (`PlayCounter`); a repeat within it is
    /// answered alike and counts nothing.
    @Sendable func play(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let id = try context.uuid("id", orElse: Self.notFound)
        // Only a video anyone may see gets a mark: unknown ids leave nothing in Redis.
        guard try await store.isShown(id: id) else { throw Self.notFound }
        let viewer = plays.viewer(context.identity, address: context.clientAddress)
        guard try await plays.isFirst(of: id, by: viewer) else { return .noContent }
        guard try await store.recordPlay(id: id) else {
            // Hidden or deleted in between: the mark goes, so a later play counts.
            try? await plays.forget(id, by: viewer)
            throw Self.notFound
        }
        audit.submit(AuditEvent("video.played", actorID: context.identity?.userID, targetType: "video",
                                targetID: id.uuidString.lowercased(), request: request, context: context))
        return .noContent
    }

    static let notFound = APIError.notFound("No such video")
}
