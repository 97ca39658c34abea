// swift-tools-version:6.2
import PackageDescription

// Coverage-guided fuzzing (libFuzzer) of every parser that reads a client's or the upstream's
// bytes. The parsers' own files are linked in from Sources/ and compiled here with
// `-sanitize=fuzzer`, so the fuzzer sees their branches; their dependencies are not instrumented.
// Run by `deploy/dev fuzz [SECONDS]`, and briefly by `deploy/dev test`.
let package = Package(
    name: "contentplatform-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "ParserFuzz",
            dependencies: ["CFuzzerDriver", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer", "-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]
        ),
    ]
)
