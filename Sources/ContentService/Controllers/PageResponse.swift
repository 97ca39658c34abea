import Foundation
import Hummingbird
import NIOCore
import Shared

/// Pages are sent as bytes so a cached one goes out as stored.
enum PageResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func render(_ page: Page<PostSummary>) throws -> RenderedPage {
        RenderedPage(body: ByteBuffer(bytes: try encoder.encode(page)), itemCount: page.items.count)
    }

    static func response(_ page: RenderedPage) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: page.body))
    }

    /// The page of post `rows` (read one past the page), and the cursor after it when more follow.
    static func page(_ rows: [(summary: PostSummary, micros: Int64)], request: PageRequest, limits: PagingLimits, cursors: PageCursor,
                     paging: Paging, key: (PostSummary, Int64) -> SortKey) -> Page<PostSummary> {
        Page(rows: rows, request: request, limits: limits, cursors: cursors, paging: paging, item: \.summary) { key($0.summary, $0.micros) }
    }
}
