import CCurl
import Foundation
import NIOPosix

/// Sends one message over SMTP with libcurl, on a small thread pool of its own: libcurl's easy
/// interface blocks, and an event loop must never wait.
final class SMTPMailer: Sendable {
    struct Settings: Sendable {
        /// `smtp://host:port` (STARTTLS when the server offers it) or `smtps://host:port`, with
        /// optional `user:password@`.
        var url: String
        var from: String
        var connectTimeout: Duration = .seconds(5)
        /// The whole send, connection included; kept under the Workers' shutdown grace so a send
        /// in flight at SIGTERM ends before its job would be given back.
        var timeout: Duration = .seconds(15)

        /// TLS is required (STARTTLS or `smtps://`) unless the server is on this machine and no
        /// credentials are sent: a password or a mail must not cross a network in the clear, and
        /// a man in the middle must not be able to strip STARTTLS.
        var requiresTLS: Bool {
            guard let url = URLComponents(string: url) else { return true }
            if url.user != nil || url.password != nil { return true }
            return !["127.0.0.1", "::1", "[::1]", "localhost"].contains(url.host?.lowercased() ?? "")
        }
    }

    /// How a send ended, in the terms the queue needs.
    enum Failure: Error, CustomStringConvertible {
        /// 4xx answers, timeouts, refused connections: try again later.
        case transient(String)
        /// 5xx answers, bad addresses, misconfiguration: retrying cannot help.
        case permanent(String)

        var description: String {
            switch self {
            case .transient(let m), .permanent(let m): m
            }
        }
    }

    let settings: Settings
    private let pool: NIOThreadPool

    init(settings: Settings, threads: Int = 4) {
        self.settings = settings
        self.pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        _ = Self.curlGlobalInit
    }

    /// `curl_global_init` belongs once per process (older libcurl builds are not thread-safe there); a static let runs once.
    private static let curlGlobalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    func send(to recipient: String, message: String) async throws {
        let settings = self.settings
        try await pool.runIfActive {
            try Self.perform(settings: settings, recipient: recipient, message: message)
        }
    }

    private static func perform(settings: Settings, recipient: String, message: String) throws {
        guard let handle = curl_easy_init() else { throw Failure.transient("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let upload = Upload(bytes: Array(message.utf8))
        let uploadPointer = Unmanaged.passRetained(upload)
        defer { uploadPointer.release() }
        let recipients = curl_slist_append(nil, "<\(recipient)>")
        defer { curl_slist_free_all(recipients) }

        ccurl_setopt_string(handle, CURLOPT_URL, settings.url)
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(settings.connectTimeout.milliseconds))
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(settings.timeout.milliseconds))
        ccurl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, Int(settings.timeout.milliseconds / 1000))
        ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int((settings.requiresTLS ? CURLUSESSL_ALL : CURLUSESSL_TRY).rawValue))
        ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(Self.address(in: settings.from))>")
        ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        ccurl_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(upload.bytes.count))
        ccurl_setopt_read_function(handle, curlReadUpload)
        ccurl_setopt_pointer(handle, CURLOPT_READDATA, uploadPointer.toOpaque())

        let code = curl_easy_perform(handle)
        guard code != CURLE_OK else { return }
        var reply = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        let reason = "\(String(cString: curl_easy_strerror(code))) (curl \(code.rawValue), smtp \(reply))"
        throw classify(code: code, reply: reply, reason: reason)
    }

    /// The SMTP reply decides when there is one; otherwise the kind of transport error does.
    static func classify(code: CURLcode, reply: Int, reason: String) -> Failure {
        if (400..<500).contains(reply) { return .transient(reason) }
        if (500..<600).contains(reply) { return .permanent(reason) }
        let transient: Set<UInt32> = [6, 7, 28, 35, 52, 55, 56]
        return transient.contains(code.rawValue) ? .transient(reason) : .permanent(reason)
    }

    /// `Name <a@b>` → `a@b`.
    static func address(in from: String) -> String {
        guard let open = from.lastIndex(of: "<"), let close = from.lastIndex(of: ">"), open < close else { return from }
        return String(from[from.index(after: open)..<close])
    }
}

/// The message bytes libcurl reads from, and how far it has read.
private final class Upload {
    let bytes: [UInt8]
    var offset = 0
    init(bytes: [UInt8]) { self.bytes = bytes }
}

/// libcurl's read callback: a global function, context through the opaque pointer.
private func curlReadUpload(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
    let n = min(size * count, upload.bytes.count - upload.offset)
    guard n > 0 else { return 0 }
    upload.bytes.withUnsafeBufferPointer { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: n)
    }
    upload.offset += n
    return n
}
