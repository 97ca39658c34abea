import Foundation
import Hummingbird
import Shared

/// `/api/videos`: uploads in one request, the videos' status, deletes and plays.
struct VideosController: Sendable {
    let store: VideoStore
    let editor: VideoEditor
    let registration: VideoRegistration
    let uploads: ResumableUploadStore
    let media: MediaLayout
    let limits: UploadLimits
    let quota: UploadQuota
    let volume: MediaVolume
    let paging: PagingLimits
    let cursors: PageCursor
    let plays: PlayCounter
    let audit: JobBatcher<AuditEvent>

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: upload)
        group.get(use: list)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: delete)
        group.post(":id/plays", use: play)
    }

    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<UploadAccepted> {
        let identity = try context.requireIdentity()
        let owner = try Ownership.ownerID(of: identity)
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
            let received = try await MultipartUpload(videoID: id, media: media, limits: limits, logger: context.logger).receive(request)
            // Visible before the jobs can be claimed, so a worker never finds the upload missing.
            try await received.publish()
            let video = VideoStore.NewVideo(id: id, ownerID: owner, title: received.title, sourcePath: received.relativePath,
                                            container: received.container, sizeBytes: received.size)
            try await registration.register(video, origin: AuditOrigin(request, context))
        } catch {
            try? await uploads.delete(id: id)
            throw error
        }
        try? await uploads.delete(id: id)
        return UploadAccepted.response(id)
    }

    /// Newest first or most played (`sort`), by keyset cursor; `ownerId` (a user id or `me`)
    /// narrows to one user's, all of them to the owner, else the listed ones only.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Page<Video> {
        let query = request.uri.queryParameters
        var owner: String?
        if let text = query.get("ownerId") {
            guard let id = try Ownership.user(named: text, by: context.identity) else {
                throw APIError.invalid("ownerId is not a user id or me", code: "invalid_owner")
            }
            owner = id
        }
        guard let sort = VideoStore.Sort(rawValue: query.get("sort") ?? "latest") else {
            throw APIError.invalid("sort must be one of \(VideoStore.Sort.allCases.map(\.rawValue).joined(separator: ", "))", code: "invalid_sort")
        }
        let all = VideoPolicy.listsAll(ownerID: owner, by: context.identity)
        let listing = Paging(fingerprint: "videos|\(sort.rawValue)|\(owner ?? "")|\(all)", style: .cursor, items: "videos", isID: Paging.uuids)
        let page = try paging.request(query, cursors: cursors, paging: listing)
        return Page(rows: try await store.list(ownerID: owner, all: all, sort: sort, page: page), request: page, limits: paging,
                    cursors: cursors, paging: listing, item: \.video, key: \.key)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Video {
        guard let found = try await store.find(id: try context.uuid("id", orElse: VideoPolicy.notFound)),
              found.video.access(ownerBanned: found.ownerBanned, by: context.identity) > .none
        else { throw VideoPolicy.notFound }
        return found.video
    }

    /// Title, description and visibility, by the owner (403 for others who can see it).
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Video {
        let identity = try context.requireIdentity()
        let id = try context.uuid("id", orElse: VideoPolicy.notFound)
        let change = try await request.decode(as: ItemText.Fields.self, context: context)
        return try await editor.update(id, with: change, by: identity, origin: AuditOrigin(request, context))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        try await editor.delete(try context.uuid("id", orElse: VideoPolicy.notFound), by: identity, origin: AuditOrigin(request, context))
        return .noContent
    }

    /// Counts one play per viewer per video per window (`PlayCounter`); a repeat within it is
    /// answered alike and counts nothing.
    @Sendable func play(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let id = try context.uuid("id", orElse: VideoPolicy.notFound)
        guard let head = try await store.head(id: id), head.access(by: context.identity) > .none else { throw VideoPolicy.notFound }
        // An owner watching their own private or unfinished video is no audience: answered, not counted.
        guard VideoPolicy.countsPlays(head) else { return .noContent }
        let viewer = plays.viewer(context.identity, address: context.clientAddress)
        guard try await plays.isFirst(of: id, by: viewer) else { return .noContent }
        guard try await store.recordPlay(id: id) else {
            // Hidden or deleted in between: the mark goes, so a later play counts.
            try? await plays.forget(id, by: viewer)
            throw VideoPolicy.notFound
        }
        audit.submit(AuditEvent(.videoPlayed, actorID: context.identity?.userID, targetType: "video",
                                targetID: id.uuidString.lowercased(), request: request, context: context))
        return .noContent
    }
}
