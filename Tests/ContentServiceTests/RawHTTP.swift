import Foundation
import NIOCore
import NIOPosix

/// HTTP over a bare socket, for what a well-behaved client library will not do: send a body in
/// chunks without a length, or hang up in the middle of one.
enum RawHTTP {
    /// Sends `head`, then each chunk in chunked encoding, and returns what the server answered.
    static func send(port: Int, head: String, chunks: [[UInt8]]) async throws -> String {
        try await withSocket(port: port) { socket in
            try socket.write(Array(head.utf8))
            for chunk in chunks {
                try? socket.write(Array(String(chunk.count, radix: 16).utf8) + [13, 10] + chunk + [13, 10])
            }
            try? socket.write(Array("0\r\n\r\n".utf8))
            return socket.readAll()
        }
    }

    /// Sends `head` and the start of a body, then waits for the answer without sending the rest:
    /// an answer (rather than a timeout) means the server decided on what it had.
    static func sendStart(port: Int, head: String, body: [UInt8]) async throws -> String {
        try await withSocket(port: port) { socket in
            try socket.write(Array(head.utf8) + body)
            return socket.readAll()
        }
    }

    /// Sends `head` and part of a body, then closes the connection.
    static func hangUp(port: Int, head: String, body: [UInt8]) async throws {
        try await withSocket(port: port) { socket in
            try socket.write(Array(head.utf8) + body)
        }
    }

    struct Socket {
        let fd: Int32

        func write(_ bytes: [UInt8]) throws {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw POSIXError(.EPIPE) }
                sent += n
            }
        }

        func readAll() -> String {
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                data += buffer[0..<n]
                if let text = String(bytes: data, encoding: .utf8), text.contains("\r\n\r\n"), text.hasSuffix("}") || text.hasSuffix("\n") { break }
            }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Blocking socket calls on a thread of their own, not on the test's executor.
    private static func withSocket<T: Sendable>(port: Int, _ body: @escaping @Sendable (Socket) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            defer { close(fd) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            return try body(Socket(fd: fd))
        }
    }
}
