import Foundation
import HTTPTypes
import Shared
import _NIOFileSystem

/// A write that failed because the media volume is full (ENOSPC, or a quota's EDQUOT): the
/// client is told 507 `insufficient_storage` with `Retry-After`, as when the space check refuses
/// an upload before it starts, never 400 as if its body had been cut off.
enum StorageFull {
    static func caused(_ error: any Error) -> Bool {
        var next: (any Error)? = error
        for _ in 0..<8 {  // causes nest a few deep at most
            switch next {
            case let error as FileSystemError:
                if let call = error.cause as? FileSystemError.SystemCallError, [.noSpace, .diskQuotaExceeded].contains(call.errno) {
                    return true
                }
                next = error.cause
            case let error as FileSystemError.SystemCallError:
                return [.noSpace, .diskQuotaExceeded].contains(error.errno)
            case let error as POSIXError:
                return error.code == .ENOSPC || error.code == .EDQUOT
            default:
                return false
            }
        }
        return false
    }

    static func refusal() -> APIError {
        APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code: "insufficient_storage",
                 message: "The server is short of space for this upload; try again later", headers: [.retryAfter: "300"])
    }
}
