import Foundation
import Hummingbird
import Shared

/// `GET /api/search`. First pages are cached, and each first page is recorded as a
/// `search.performed` event (keyword, order, results on the page) for the analysts' "most
/// searched" and "zero results" views; the events go many to a job.
struct SearchController: Sendable {
    let store: PostStore
    let paging: PagingLimits
    let relevanceCandidates: Int
    let cursors: PageCursor
    let cache: PageCache
    let marks: LikeMarks
    let audit: JobBatcher<AuditEvent>
    let auditKeywordCharacters: Int

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: search)
    }

    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        let search = try PostSearch(query: request.uri.queryParameters, limits: paging, relevanceCandidates: relevanceCandidates, cursors: cursors)
        let load: @Sendable () async throws -> RenderedPage = { [store, cursors, relevanceCandidates] in
            guard let sql = search.sql(relevanceCandidates: relevanceCandidates) else { return try PageResponse.render(Page(items: [])) }
            let rows = try await store.summaries(sql.query)
            return try PageResponse.render(PageResponse.page(rows, request: search.page, limits: search.limits, cursors: cursors,
                                                             paging: search.paging, key: search.key(after:micros:)))
        }
        guard search.page.isFirst else { return PageResponse.response(try await marks.mark(try await load(), for: context.identity)) }
        let page = try await cache.page(kind: "search", listing: "\(search.fingerprint)|\(search.page.size)", load)
        audit.submit(AuditEvent(
            .searchPerformed, actorID: context.identity?.userID, targetType: "search",
            payload: ["keyword": String(search.keyword.prefix(auditKeywordCharacters)), "sort": search.sort.rawValue,
                      "results": String(page.itemCount)],
            request: request, context: context))
        return PageResponse.response(try await marks.mark(page, for: context.identity))
    }
}
