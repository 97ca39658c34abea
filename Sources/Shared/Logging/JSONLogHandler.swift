import Foundation
import Logging
import NIOConcurrencyHelpers

/// One JSON object per line on stdout: what log shippers ingest without parsing rules.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [
            "ts": Self.timestamp(),
            "level": event.level.rawValue,
            "logger": label,
            "msg": event.message.description,
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged {
            // Hummingbird names its request id `hb.request.id`; one stable field name is easier to query.
            object[key == "hb.request.id" ? "request_id" : key] = Self.unwrap(value)
        }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        LogWriter.standardOutput.write(data)
    }

    private static func unwrap(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let s): return s.description
        case .array(let a): return a.map(unwrap)
        case .dictionary(let d): return d.mapValues(unwrap)
        }
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}

public enum LoggingSetup {
    private static let once = NIOLockedValueBox(false)

    /// Bootstraps swift-log once per process (tests build many applications in one process).
    public static func bootstrap(format: String, level: String) {
        once.withLockedValue { done in
            guard !done else { return }
            done = true
            let level = Logger.Level(rawValue: level) ?? .info
            // What is still queued is written before the process exits.
            atexit { LogWriter.standardOutput.flush() }
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler = format == "text"
                    ? StreamLogHandler.standardOutput(label: label) : JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
