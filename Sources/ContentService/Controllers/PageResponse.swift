import Foundation
import Hummingbird
import NIOCore

/// Pages are sent as bytes so a cached one goes out as stored.
enum PageResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func render(_ page: PostPage) throws -> RenderedPage {
        RenderedPage(body: ByteBuffer(bytes: try encoder.encode(page)), itemCount: page.items.count)
    }

    static func response(_ page: RenderedPage) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: page.body))
    }

    /// The page of `rows`, with a cursor after the last one when the page is full.
    static func page(_ rows: [(summary: PostSummary, micros: Int64)], size: Int, cursor: (PostSummary, Int64) -> String) -> PostPage {
        let next = rows.count == size ? rows.last.map { cursor($0.summary, $0.micros) } : nil
        return PostPage(items: rows.map(\.summary), nextCursor: next)
    }
}
