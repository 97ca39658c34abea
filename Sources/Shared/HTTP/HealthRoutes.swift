import Foundation
import Hummingbird
import NIOCore

/// A dependency `/readyz` checks.
public struct ReadinessCheck: Sendable {
    public var name: String
    public var check: @Sendable () async throws -> Void

    public init(_ name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }
}

extension Router where Context == AppRequestContext {
    /// `/healthz` (the process answers), `/readyz` (its dependencies answer within `timeout`),
    /// `/metrics` (Prometheus text).
    public func addHealthRoutes(checks: [ReadinessCheck], timeout: Duration = .seconds(2)) {
        get("/healthz") { _, _ in
            jsonResponse(.ok, ["status": "ok"])
        }
        get("/readyz") { _, context in
            let results = await withTaskGroup(of: (String, String?).self) { group in
                for check in checks {
                    group.addTask {
                        do {
                            try await withTimeout(timeout) { try await check.check() }
                            return (check.name, nil)
                        } catch {
                            return (check.name, error.reason)
                        }
                    }
                }
                var results: [String: String?] = [:]
                for await (name, failure) in group { results[name] = failure }
                return results
            }
            let failed = results.filter { $0.value != nil }
            for (name, failure) in failed {
                context.logger.warning("readiness check failed", metadata: ["check": .string(name), "error": .string(failure ?? "")])
            }
            var body: [String: Any] = ["status": failed.isEmpty ? "ready" : "unavailable"]
            body["checks"] = results.mapValues { $0 == nil ? "ok" : "failed" }
            var response = jsonResponse(failed.isEmpty ? .ok : .serviceUnavailable, body)
            if !failed.isEmpty { response.headers[.retryAfter] = "5" }
            return response
        }
        get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: MetricsSetup.exposition())))
        }
    }
}

func jsonResponse(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

public struct TimeoutError: Error, CustomStringConvertible {
    public var description: String { "timed out" }
}

/// Runs `body`, throwing `TimeoutError` if it has not finished after `duration`.
public func withTimeout<T: Sendable>(_ duration: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
