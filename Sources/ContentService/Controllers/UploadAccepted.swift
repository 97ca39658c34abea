import Foundation
import Hummingbird

/// What an accepted upload answers at once, by either path: 202 with the video's id and where to
/// follow it. The jobs are queued; the rest shows on `GET /api/videos/{id}`.
struct UploadAccepted: ResponseEncodable, Codable {
    var id: String
    var status: String

    static func response(_ id: UUID) -> EditedResponse<UploadAccepted> {
        let text = id.uuidString.lowercased()
        return EditedResponse(status: .accepted, headers: [.location: "/api/videos/\(text)"],
                              response: UploadAccepted(id: text, status: "processing"))
    }
}
