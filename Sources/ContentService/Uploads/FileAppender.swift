import NIOCore
import _NIOFileSystem

/// Appends byte buffers to an open file through one reused 1 MiB buffer: a chunk from the network
/// is copied once on its way to the file, and large writes keep the syscalls (each a hop to
/// NIOFileSystem's thread pool) few.
struct FileAppender {
    let handle: WriteFileHandle
    private(set) var offset: Int64
    private var pending: ByteBuffer
    private let capacity: Int

    init(handle: WriteFileHandle, startingAt offset: Int64 = 0, capacity: Int = 1 << 20) {
        self.handle = handle
        self.offset = offset
        self.capacity = capacity
        self.pending = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// The bytes appended so far, written or not.
    var appended: Int64 { offset + Int64(pending.readableBytes) }

    mutating func append(_ bytes: ByteBuffer) async throws {
        var bytes = bytes
        pending.writeBuffer(&bytes)
        if pending.readableBytes >= capacity { try await flush() }
    }

    mutating func flush() async throws {
        guard pending.readableBytes > 0 else { return }
        let written = try await handle.write(contentsOf: pending, toAbsoluteOffset: offset)
        offset += written
        // The write has let go of the storage, so clearing keeps it for the next megabyte.
        pending.clear()
    }
}
