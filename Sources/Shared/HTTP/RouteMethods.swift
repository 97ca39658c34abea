import Hummingbird
import Synchronization

/// The methods each route path answers, so a request for a known path with another method is a
/// 405 with `Allow` rather than Hummingbird's 404. Filled once, when the router is complete.
public final class RouteMethods: Sendable {
    private struct Pattern {
        /// nil where the route captures a segment.
        var segments: [String?]
        var methods: Set<String>
    }

    private let patterns = Mutex<[Pattern]>([])

    public init() {}

    func record(_ routes: [Router<AppRequestContext>.RouteDescription]) {
        var byPath: [String: Pattern] = [:]
        for route in routes {
            let path = "\(route.path)"
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : String($0) }
            byPath[path, default: Pattern(segments: segments, methods: [])].methods.insert(route.method.rawValue)
        }
        // The router answers HEAD wherever it answers GET (`HeadResponses`).
        for path in byPath.keys where byPath[path]!.methods.contains("GET") {
            byPath[path]!.methods.insert("HEAD")
        }
        patterns.withLock { $0 = Array(byPath.values) }
    }

    /// The methods of the route that `path` reaches, sorted; empty for an unknown path. As in the
    /// router, a constant segment wins over a capture (`/api/videos/uploads` is not a video id).
    public func allowed(for path: String) -> [String] {
        let parts = path.split(separator: "/").map(String.init)
        let matching = patterns.withLock { patterns in
            patterns.filter { pattern in
                pattern.segments.count == parts.count
                    && zip(pattern.segments, parts).allSatisfy { segment, part in segment == nil || segment == part }
            }
        }
        let constants = { (pattern: Pattern) in pattern.segments.map { $0 != nil } }
        guard let best = matching.map(constants).max(by: { $0.lexicographicallyPrecedes($1) { !$0 && $1 } }) else { return [] }
        return matching.filter { constants($0) == best }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }.sorted()
    }
}
