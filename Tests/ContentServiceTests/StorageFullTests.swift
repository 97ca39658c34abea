import Foundation
import Testing
import _NIOFileSystem
@testable import ContentService

/// A write that failed for want of space is told apart from a body cut off by the client: 507
/// `insufficient_storage` with `Retry-After`, not 400 `incomplete_body`.
@Suite struct StorageFullTests {
    func writeFailure(_ errno: Errno) -> FileSystemError {
        FileSystemError(code: .unknown, message: "Write failed", cause: FileSystemError.SystemCallError(systemCall: "pwrite", errno: errno),
                        location: .init(function: "write", file: "test", line: 1))
    }

    @Test func aFullVolumeIsInsufficientStorage() {
        #expect(StorageFull.caused(writeFailure(.noSpace)))
        #expect(StorageFull.caused(writeFailure(.diskQuotaExceeded)))
        // Wrapped once more, as NIOFileSystem wraps errors on their way up.
        let wrapped = FileSystemError(code: .unknown, message: "Flush failed", cause: writeFailure(.noSpace),
                                      location: .init(function: "flush", file: "test", line: 2))
        #expect(StorageFull.caused(wrapped))
        #expect(StorageFull.caused(POSIXError(.ENOSPC)))
        let refusal = StorageFull.refusal()
        #expect(refusal.status.code == 507 && refusal.code == "insufficient_storage")
        #expect(refusal.headers[.retryAfter] == "300")
    }

    @Test func otherFailuresAreNot() {
        #expect(!StorageFull.caused(writeFailure(.ioError)))
        #expect(!StorageFull.caused(writeFailure(.badFileDescriptor)))
        #expect(!StorageFull.caused(CancellationError()))
    }
}
