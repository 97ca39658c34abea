import Foundation
import NIOCore
import Testing
import TestSupport
@testable import ContentService

/// The HTTP conventions on a real service: JSON routes refuse other media types with 415 while the
/// upload routes keep theirs (multipart, tus chunks), and HEAD answers where GET does, beside tus's
/// own HEAD.
@Suite struct MediaTypeTests {
    static let tus = ["Tus-Resumable": "1.0.0"]

    @Test func uploadsKeepTheirMediaTypesWhileJSONRoutesRefuseOthers() async throws {
        try await ContentServer.run { server in
            let owner = try await server.caller()
            let uploaded = try await server.upload(as: owner)
            #expect(uploaded.status == 202, "\(uploaded.body)")
            let id = try #require(uploaded["id"])

            let file = ContentServer.fakeMP4(size: 2000)
            let metadata = "title \(Data("clip".utf8).base64EncodedString())"
            let created = try await server.call(.POST, "/api/videos/uploads",
                                                headers: Self.tus.merging(["Upload-Length": String(file.count), "Upload-Metadata": metadata]) { $1 },
                                                as: owner)
            #expect(created.status == 201, "\(created.body)")
            let location = try #require(created.header("Location"))
            let offset = try await server.call(.HEAD, location, headers: Self.tus, as: owner)
            #expect(offset.status == 200 && offset.header("Upload-Offset") == "0" && offset.body.isEmpty)
            let chunk = try await server.call(.PATCH, location, bytes: ByteBuffer(bytes: file),
                                              headers: Self.tus.merging(["Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"]) { $1 },
                                              as: owner)
            #expect(chunk.status == 202, "\(chunk.body)")

            let form = try await server.call(.PATCH, "/api/videos/\(id)", bytes: ByteBuffer(string: "title=renamed"),
                                             headers: ["Content-Type": "application/x-www-form-urlencoded"], as: owner)
            #expect(form.status == 415 && form.errorCode == "unsupported_media_type", "\(form.body)")
            let json = try await server.call(.PATCH, "/api/videos/\(id)", bytes: ByteBuffer(string: #"{"title":"renamed"}"#),
                                             headers: ["Content-Type": "application/json; charset=utf-8"], as: owner)
            #expect(json.status == 200 && json["title"] == "renamed", "\(json.body)")

            let get = try await server.call(.GET, "/api/videos/\(id)", as: owner)
            let head = try await server.call(.HEAD, "/api/videos/\(id)", as: owner)
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.header("Content-Length") == String(get.body.utf8.count))
        }
    }
}
