// swift-tools-version: 6.0
//
// visioncraft's tools: the benchmarks (visioncraft-bench, with its C floor
// and load generator), the reliability campaigns (visioncraft-reliability)
// and the fuzz targets (visioncraft-fuzz). A package of its own, so that the
// product package (../) lists products and their tests only; this one
// depends on it by path and uses its libraries and its Harness.
//
// The programs the tools start (visioncraftd, vcctl, the emulator, the
// plugins) are the product package's: build it first and name its products
// folder in VISIONCRAFT_BIN_DIR (README, "Benchmarks, reliability, fuzzing"):
//
//   swift build && VISIONCRAFT_BIN_DIR=$PWD/.build/debug swift test --package-path Benchmarks
//
// Same rules as ../Package.swift: no package dependency beyond the product,
// no Foundation outside the tests, targets sorted by name in sections.

import PackageDescription

let package = Package(
    name: "visioncraft-tools",
    products: [
        .executable(name: "visioncraft-bench", targets: ["visioncraft-bench"]),
        .executable(name: "visioncraft-fuzz", targets: ["visioncraft-fuzz"]),
        .executable(name: "visioncraft-reliability", targets: ["visioncraft-reliability"]),
    ],
    dependencies: [
        // The identity of a path dependency is its folder's name, which a
        // clone may choose: the name pins it.
        .package(name: "visioncraft", path: "../"),
    ],
    targets: [
        // MARK: Libraries

        /// Orchestrates the benchmarks: starts servers, drives the load
        /// generator, prints tables with ratios against peers.
        .target(
            name: "Benchmarks",
            dependencies: product(["CCurlShim", "CLibCurl", "Harness", "HTTPClient", "Imaging", "JobStore", "JSON", "PluginHost", "Posix", "VisionCraftAPI"])
        ),

        /// In-process fuzz targets (the daemon's JSON-RPC surface, the
        /// configuration file, plugin options), for libFuzzer or a seeded run.
        .target(
            name: "FuzzTargets",
            dependencies: product(["Configuration", "Daemon", "Harness", "Imaging", "Jobs", "JSON", "JSONRPC", "PluginHost", "Posix"]) + ["Reliability"]
        ),

        /// The reliability checks (`visioncraft-reliability`): seeded inputs
        /// for the JSON-RPC surface, fed to a live daemon.
        .target(name: "Reliability", dependencies: product(["Harness", "Imaging", "Jobs", "JobStore", "JSON", "JSONRPC", "Posix"])),

        // MARK: Executables

        .executableTarget(name: "visioncraft-bench", dependencies: ["Benchmarks"] + product(["Posix"])),

        /// The benchmark floor: answers every line on a Unix socket with a fixed reply.
        .executableTarget(name: "visioncraft-bench-floor", path: "Sources/BenchFloor"),

        /// The fuzz targets as a program: libFuzzer's driver when built with
        /// -sanitize=fuzzer (.ci/fuzz), else seeded inputs and corpus replay.
        .executableTarget(name: "visioncraft-fuzz", dependencies: ["FuzzTargets"] + product(["Posix"])),

        /// The benchmark load generator (NDJSON over Unix sockets, HTTP/1.1 over TCP).
        .executableTarget(name: "visioncraft-loadgen", path: "Sources/LoadGenerator"),

        /// The reliability checks as a program.
        .executableTarget(name: "visioncraft-reliability", dependencies: ["Reliability"] + product(["Posix"])),

        // MARK: Tests

        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks"] + product(["Harness", "JSON", "Posix", "TestSupport"])),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"] + product(["Posix", "TestSupport"])),
        /// The campaigns, and the crash campaign against the built daemon.
        .testTarget(name: "ReliabilityTests", dependencies: ["Reliability"] + product(["Posix", "TestSupport"])),
    ],
    cLanguageStandard: .c2x
)

/// Libraries of the product package, by name.
func product(_ names: [String]) -> [Target.Dependency] {
    names.map { .product(name: $0, package: "visioncraft") }
}
