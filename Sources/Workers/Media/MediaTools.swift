import Foundation

/// ffmpeg and ffprobe as the video jobs run them on untrusted uploads: reading local files only
/// (no URL in a crafted file can make them fetch or open anything else), through the demuxers of
/// the containers ContentService accepts (a playlist or image sequence posing as a video is not
/// read), under limits on memory and CPU time (prlimit) besides the wall-clock timeout, and with
/// only the tail of their output kept.
struct MediaTools: Sendable {
    var ffmpeg = "/usr/bin/ffmpeg"
    var ffprobe = "/usr/bin/ffprobe"
    /// util-linux's prlimit; without it the children run with this process's limits.
    var prlimit: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") ? "/usr/bin/prlimit" : nil
    var maxMemoryBytes = 3 << 30
    /// CPU seconds per second of timeout: encoders use several threads.
    var cpuPerWallSecond = ProcessInfo.processInfo.activeProcessorCount

    /// The demuxers uploads may need: ISO BMFF (MP4, MOV), Matroska/WebM, AVI.
    static let demuxers = "mov,mp4,matroska,webm,avi"
    /// What every input is opened with; these must come before `-i`.
    static let inputOptions = ["-protocol_whitelist", "file", "-format_whitelist", demuxers]

    /// Runs ffmpeg with `arguments` (which name the input with `-i` after `inputOptions`).
    func ffmpeg(_ arguments: [String], timeout: Duration, onLine: (@Sendable (Substring) -> Void)? = nil) async throws -> ChildProcess.Result {
        try await run(ffmpeg, ["-nostdin", "-v", "error"] + arguments, timeout: timeout, onLine: onLine)
    }

    /// The duration of a video by ffprobe; nil when it is not a video these demuxers read.
    func duration(of source: URL, timeout: Duration = .seconds(30)) async throws -> (seconds: Double?, timedOut: Bool) {
        let result = try await run(ffprobe, ["-v", "error"] + Self.inputOptions + [
            "-select_streams", "v:0", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", source.path,
        ], timeout: timeout)
        let seconds = Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        guard result.status == 0, let seconds, seconds > 0 else { return (nil, result.timedOut) }
        return (seconds, false)
    }

    private func run(_ tool: String, _ arguments: [String], timeout: Duration, onLine: (@Sendable (Substring) -> Void)? = nil) async throws -> ChildProcess.Result {
        guard let prlimit else { return try await ChildProcess.run(tool, arguments, timeout: timeout, onLine: onLine) }
        let cpuSeconds = max(1, Int(timeout.components.seconds) * max(1, cpuPerWallSecond))
        return try await ChildProcess.run(prlimit, ["--as=\(maxMemoryBytes)", "--cpu=\(cpuSeconds)", "--", tool] + arguments,
                                          timeout: timeout, onLine: onLine)
    }
}
