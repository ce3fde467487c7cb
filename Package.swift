// swift-tools-version: 6.0
//
// visioncraft: a per-user daemon (visioncraftd) and client (vcctl) for the
// VisionCraft image-generation API.
//
// Rules of this manifest (see ../shared/design.md and README.md):
// - No package dependencies: the toolchain and system C libraries only.
// - No product imports a Foundation module; test targets may.
// - Each library owns one concern and has its own test target, named after it
//   with a `Tests` suffix. C shims and system libraries (CPosix,
//   CProtocolDocuments, CLibPNG, CPNGCodec, CLibCurl, CCurlShim, CSQLite) are
//   tested through the Swift module that wraps them.
// - Executables are one short file over a library.
// - Targets are listed in sections (plugins, libraries, harness, executables,
//   tests), each sorted by name, as are dependency lists.
// - This package lists the products and their tests only. The benchmark,
//   reliability and fuzz tools are a package of their own, Benchmarks/,
//   which depends on this one by path. Harness (what the tests and the tools
//   share) sits in a section of its own: no product depends on it.
// - What other modules of this package use is package, not public: public
//   is for what the tools package, Benchmarks/ (another package), imports.

import PackageDescription

let package = Package(
    name: "visioncraft",
    products: [
        .executable(name: "vcctl", targets: ["vcctl"]),
        .executable(name: "visioncraft-emulator", targets: ["visioncraft-emulator"]),
        .executable(name: "visioncraftd", targets: ["visioncraftd"]),
        // Shipped plugins: found by visioncraftd next to its binary.
        .library(name: "visioncraft-exec", type: .dynamic, targets: ["ExecPlugin"]),
        .library(name: "visioncraft-template", type: .dynamic, targets: ["TemplatePlugin"]),
        .library(name: "visioncraft-upscale", type: .dynamic, targets: ["UpscalePlugin"]),
        // Plugins the tests load (not shipped: the daemon only looks for
        // libvisioncraft-*.so next to its binary).
        .library(name: "vctest-crash", type: .dynamic, targets: ["TestPluginCrash"]),
        .library(name: "vctest-echo", type: .dynamic, targets: ["TestPluginEcho"]),
        .library(name: "vctest-failing-init", type: .dynamic, targets: ["TestPluginFailingInit"]),
        .library(name: "vctest-manual-swift", type: .dynamic, targets: ["TestPluginManualSwift"]),
        .library(name: "vctest-no-entry", type: .dynamic, targets: ["TestPluginNoEntry"]),
        .library(name: "vctest-overflow", type: .dynamic, targets: ["TestPluginOverflow"]),
        .library(name: "vctest-slow", type: .dynamic, targets: ["TestPluginSlow"]),
        .library(name: "vctest-wrong-abi", type: .dynamic, targets: ["TestPluginWrongABI"]),
        // Then the libraries the tools package imports (toolsPackageLibraries, below).
    ] + toolsPackageLibraries.map { .library(name: $0, targets: [$0]) },
    targets: [
        // MARK: Plugins (shared libraries visioncraftd loads; see Protocol/PLUGINS.md)

        /// exec (C): runs a command for every saved image.
        .target(name: "ExecPlugin", dependencies: ["VisionCraftPluginABI"], path: "Plugins/Exec", publicHeadersPath: "."),

        /// template (Swift): Dynamic Prompts templates, wildcards, A1111 styles.
        .target(name: "TemplatePlugin", dependencies: ["JSON", "VisionCraftPluginABI"], path: "Plugins/Template"),

        /// upscale (C): Lanczos3 resizing in premultiplied alpha.
        .target(
            name: "UpscalePlugin", dependencies: ["VisionCraftPluginABI"], path: "Plugins/Upscale", publicHeadersPath: ".",
            linkerSettings: [.linkedLibrary("m"), .linkedLibrary("pthread", .when(platforms: [.linux]))]
        ),

        // MARK: Libraries

        /// AUTOMATIC1111's web API (and Forge's, SD.Next's, stable-diffusion.cpp's
        /// `/sdapi`): lists, txt2img and img2img, failures classified, as an `ImageBackend`.
        .target(name: "A1111API", dependencies: ["Backends", "Base64Coding", "HTTPClient", "Jobs", "JSON", "NameMatching", "Posix"]),

        /// The seam between the scheduler and an image service: `ImageBackend`,
        /// what a backend can do, its catalog, one generation call, failures
        /// classified. Each backend is a module implementing it.
        .target(name: "Backends", dependencies: ["HTTPClient", "Jobs", "Posix"]),

        /// Standard base64, for every module that sends or reads it.
        .target(name: "Base64Coding"),

        /// Typed wrappers for libcurl's variadic calls and the response callbacks.
        .target(name: "CCurlShim", dependencies: ["CLibCurl"]),

        /// libcurl, from the system (pkg-config libcurl).
        .systemLibrary(
            name: "CLibCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),

        /// libpng, from the system (pkg-config libpng).
        .systemLibrary(
            name: "CLibPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]
        ),

        /// Connects to the daemon (starting it when needed) and calls methods.
        .target(name: "Client", dependencies: ["JSON", "JSONRPC", "Posix", "VisionCraftProtocol"]),

        /// ComfyUI's server routes: built-in graphs queued with `/prompt`, followed
        /// through `/history` and `/queue` (progress read from its `/ws`), failures
        /// classified, as an `ImageBackend`.
        .target(name: "ComfyUIAPI", dependencies: ["Backends", "HTTPClient", "Jobs", "JSON", "NameMatching", "Posix", "WebSocket"]),

        /// A small command-line framework: command trees, options, help, usage errors.
        .target(name: "CommandLineKit", dependencies: ["NameMatching", "Posix"]),

        /// Matching a name a person typed against a list: any case, the
        /// closest by edit distance ("did you mean").
        .target(name: "NameMatching"),

        /// PNG encoding/decoding in C over libpng, which reports errors with
        /// longjmp: that stays in C, Swift gets status codes.
        /// zlib named too: its crc32 checks chunks without decoding.
        .target(name: "CPNGCodec", dependencies: ["CLibPNG"], linkerSettings: [.linkedLibrary("z")]),

        /// C shims for Posix: epoll/kqueue headers, peer credentials, spawn flags.
        .target(name: "CPosix"),

        /// config.toml: a TOML subset, the settings it may hold, their checks.
        .target(name: "Configuration", dependencies: ["Jobs", "Posix"]),

        /// The protocol documents under `Protocol/`, embedded at build time.
        .target(name: "CProtocolDocuments"),

        /// SQLite, from the system (pkg-config sqlite3).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),

        /// The daemon: configuration, lifecycle, socket ownership, RPC handlers.
        .target(
            name: "Daemon",
            dependencies: [
                "A1111API", "Backends", "CommandLineKit", "ComfyUIAPI", "Configuration", "HTTPClient", "Jobs", "JobStore", "JSON", "JSONRPC",
                "JSONRPCServer", "OpenAIAPI", "PluginHost", "Posix", "Scheduler", "StreamServer", "VisionCraftAPI", "VisionCraftEmulator",
                "VisionCraftProtocol",
            ]
        ),

        /// An HTTP client over libcurl's multi interface on a thread of its own.
        .target(name: "HTTPClient", dependencies: ["CCurlShim", "CLibCurl", "Posix"]),

        /// A small HTTP/1.1 server on StreamServer (for the emulator).
        .target(name: "HTTPServer", dependencies: ["JSON", "Posix", "StreamServer"]),

        /// RGBA images and the PNG codec (with text chunks) over libpng.
        .target(name: "Imaging", dependencies: ["CPNGCodec", "Posix"]),

        /// The durable job queue: SQLite schema, migrations, jobs and images,
        /// a writer thread that commits concurrent changes together.
        .target(name: "JobStore", dependencies: ["CSQLite", "Jobs", "Posix"]),

        /// What a job is: its request and fields (one table: wire name, flag,
        /// range, default), its states, the rules a backend states.
        .target(name: "Jobs", dependencies: ["JSON", "JSONRPC"]),

        /// JSON values, a strict parser and a fast serializer (no Foundation).
        .target(name: "JSON"),

        /// JSON-RPC 2.0 messages and errors, NDJSON framing, a blocking client.
        /// No concurrency runtime: vcctl links this (README, "Speed").
        .target(name: "JSONRPC", dependencies: ["JSON", "Posix"]),

        /// JSON-RPC 2.0 servers: method tables, dispatch (batches,
        /// notifications, async handlers), sessions on a StreamServer.
        .target(name: "JSONRPCServer", dependencies: ["JSON", "JSONRPC", "Posix", "StreamServer"]),

        /// The Model Context Protocol, server side: both eras (initialize;
        /// 2026-07-28's per-request _meta), tools, resources, tasks,
        /// progress and cancellation, on a stream. What is served is a toolbox.
        .target(name: "MCP", dependencies: ["JSON", "JSONRPC", "Posix"]),

        /// OpenAI's images API (and stable-diffusion.cpp's `sd-server`'s,
        /// LocalAI's): models, generations and edits, failures classified, as an `ImageBackend`.
        .target(name: "OpenAIAPI", dependencies: ["Backends", "Base64Coding", "HTTPClient", "Jobs", "JSON", "NameMatching", "Posix"]),

        /// Loads plugins (dlopen, ABI check, init) and runs their hooks.
        .target(name: "PluginHost", dependencies: ["Imaging", "Jobs", "JSON", "Posix", "VisionCraftPluginABI"]),

        /// System calls and POSIX types: descriptors, sockets, credentials, signals, processes.
        .target(name: "Posix", dependencies: ["CPosix"]),

        /// Gets jobs through the upstream: priorities, pacing, retries with
        /// backoff, rate-limit and key pauses, images saved with parameters.
        .target(
            name: "Scheduler",
            dependencies: ["Backends", "Configuration", "Imaging", "Jobs", "JobStore", "JSON", "PluginHost", "Posix"]
        ),

        /// Non-blocking stream servers: event loops over epoll/kqueue, listeners, connections.
        .target(name: "StreamServer", dependencies: ["Posix"]),

        /// The vcctl command line.
        .target(
            name: "VCCtl",
            dependencies: [
                "Base64Coding", "Client", "CommandLineKit", "Configuration", "Imaging", "Jobs", "JSON", "JSONRPC", "MCP", "NameMatching", "Posix",
                "VisionCraftProtocol",
            ]
        ),

        /// The VisionCraft API: validation, calls, outcome classification, downloads.
        .target(name: "VisionCraftAPI", dependencies: ["Backends", "Base64Coding", "HTTPClient", "Jobs", "JSON", "NameMatching", "Posix"]),

        /// A local server that behaves like the VisionCraft API (for tests and
        /// offline use), with fault injection.
        .target(
            name: "VisionCraftEmulator",
            dependencies: ["Base64Coding", "CommandLineKit", "HTTPServer", "Imaging", "JSON", "Posix", "WebSocket"]
        ),

        /// The plugin ABI: Protocol/visioncraft_plugin.h as a C module.
        .target(name: "VisionCraftPluginABI"),

        /// The daemon's wire protocol: method catalog, error reasons, socket location.
        .target(name: "VisionCraftProtocol", dependencies: ["CProtocolDocuments", "Jobs", "JSON", "JSONRPC"]),

        /// RFC 6455 websockets: frames, the opening handshake (with its SHA-1),
        /// and a blocking `ws://` client for a thread of its own.
        .target(name: "WebSocket", dependencies: ["Base64Coding", "Posix"]),

        // MARK: Harness (for the tests and the tools package, Benchmarks/)

        /// What the tests, the benchmarks, the campaigns and the fuzz targets
        /// share: a daemon started in a sandbox, the built binaries, a line
        /// client over LineFramer, text tables.
        .target(name: "Harness", dependencies: ["JSON", "JSONRPC", "Posix"]),

        // MARK: Executables

        /// The client: a fully static executable, so that it starts as fast
        /// as a C client (README, "Speed").
        .executableTarget(
            name: "vcctl",
            dependencies: ["VCCtl"],
            exclude: ["startup.order"],
            // Static: libpng (vcctl show) needs zlib named, which a shared libpng brings itself.
            linkerSettings: vcctlLinkerSettings
        ),

        /// The emulator as a program.
        .executableTarget(name: "visioncraft-emulator", dependencies: ["VisionCraftEmulator"]),

        /// The daemon (links the Swift runtime dynamically: plugins share it).
        .executableTarget(name: "visioncraftd", dependencies: ["Daemon"], linkerSettings: sanitizerExportSettings),

        // MARK: Tests

        /// Helpers shared by the test targets (never linked into a product).
        .target(name: "TestSupport", dependencies: ["Harness", "Posix"], path: "Tests/TestSupport", linkerSettings: sanitizerExportSettings),
        .target(name: "TestPluginCrash", dependencies: ["VisionCraftPluginABI"], path: "Tests/Plugins/Crash", publicHeadersPath: "."),
        .target(name: "TestPluginEcho", dependencies: ["VisionCraftPluginABI"], path: "Tests/Plugins/Echo", publicHeadersPath: "."),
        .target(name: "TestPluginFailingInit", dependencies: ["VisionCraftPluginABI"], path: "Tests/Plugins/FailingInit", publicHeadersPath: "."),
        .target(name: "TestPluginManualSwift", dependencies: ["VisionCraftPluginABI"], path: "Tests/Plugins/ManualSwift"),
        .target(name: "TestPluginNoEntry", path: "Tests/Plugins/NoEntry", publicHeadersPath: "."),
        .target(name: "TestPluginOverflow", dependencies: ["VisionCraftPluginABI"], path: "Tests/Plugins/Overflow", publicHeadersPath: "."),
        .target(name: "TestPluginSlow", dependencies: ["VisionCraftPluginABI"], path: "Tests/Plugins/Slow", publicHeadersPath: "."),
        .target(name: "TestPluginWrongABI", dependencies: ["VisionCraftPluginABI"], path: "Tests/Plugins/WrongABI", publicHeadersPath: "."),

        .testTarget(name: "A1111APITests", dependencies: ["A1111API", "Backends", "Base64Coding", "HTTPClient", "HTTPServer", "Jobs", "JSON", "Posix", "TestSupport"]),
        .testTarget(name: "BackendsTests", dependencies: ["Backends", "Base64Coding", "Imaging", "Jobs", "Posix", "TestSupport"]),
        .testTarget(name: "ClientTests", dependencies: ["Client", "JSONRPC", "Posix", "TestSupport", "VisionCraftProtocol"]),
        .testTarget(
            name: "ComfyUIAPITests", dependencies: ["Backends", "ComfyUIAPI", "HTTPClient", "HTTPServer", "Jobs", "JSON", "Posix", "TestSupport", "WebSocket"]
        ),
        .testTarget(name: "CommandLineKitTests", dependencies: ["CommandLineKit", "NameMatching"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "Posix", "TestSupport"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Backends", "CommandLineKit", "Configuration", "Daemon", "HTTPClient", "Imaging", "Jobs", "JobStore", "JSON", "JSONRPC", "JSONRPCServer",
                "PluginHost", "Posix", "Scheduler", "TestSupport", "VisionCraftProtocol",
            ]
        ),
        /// Runs the built binaries as processes: visioncraftd, vcctl.
        .testTarget(name: "EndToEndTests", dependencies: ["Configuration", "Imaging", "JobStore", "JSON", "Posix", "TestSupport"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Posix", "TestSupport"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPServer", "Posix", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "JSON", "Posix", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Posix", "TestSupport"]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "JSON", "JSONRPC"]),
        .testTarget(name: "JobStoreTests", dependencies: ["Jobs", "JobStore", "Posix", "TestSupport"]),
        .testTarget(name: "JSONRPCServerTests", dependencies: ["JSON", "JSONRPC", "JSONRPCServer", "Posix", "TestSupport"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSON", "JSONRPC", "Posix"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "Posix", "TestSupport"]),
        .testTarget(name: "MCPTests", dependencies: ["JSON", "JSONRPC", "MCP", "Posix", "TestSupport"]),
        .testTarget(name: "OpenAIAPITests", dependencies: ["Backends", "Base64Coding", "HTTPClient", "HTTPServer", "Jobs", "JSON", "OpenAIAPI", "Posix", "TestSupport"]),
        .testTarget(name: "PluginHostTests", dependencies: ["Imaging", "Jobs", "PluginHost", "Posix", "TestSupport"]),
        /// The shipped plugins, loaded from the build with dlopen.
        .testTarget(name: "PluginsTests", dependencies: ["Imaging", "JSON", "PluginHost", "Posix", "TemplatePlugin", "TestSupport"]),
        .testTarget(name: "PosixTests", dependencies: ["Posix", "TestSupport"]),
        .testTarget(name: "SchedulerTests", dependencies: ["Backends", "Configuration", "Imaging", "Jobs", "JobStore", "JSON", "PluginHost", "Posix", "Scheduler", "TestSupport"]),
        .testTarget(name: "StreamServerTests", dependencies: ["Posix", "StreamServer", "TestSupport"]),
        .testTarget(name: "VCCtlTests", dependencies: ["CommandLineKit", "Jobs", "JSON", "Posix", "TestSupport", "VCCtl", "VisionCraftProtocol"]),
        .testTarget(
            name: "VisionCraftAPITests",
            dependencies: ["Backends", "Base64Coding", "HTTPClient", "HTTPServer", "Jobs", "JSON", "Posix", "TestSupport", "VisionCraftAPI", "VisionCraftEmulator"]
        ),
        .testTarget(
            name: "VisionCraftEmulatorTests", dependencies: ["HTTPServer", "Imaging", "JSON", "Posix", "TestSupport", "VisionCraftEmulator", "WebSocket"]
        ),
        .testTarget(name: "VisionCraftProtocolTests", dependencies: ["Jobs", "JSON", "VisionCraftProtocol"]),
        .testTarget(name: "WebSocketTests", dependencies: ["HTTPServer", "Posix", "TestSupport", "WebSocket"]),
    ],
    cLanguageStandard: .c2x
)

/// The libraries the tools package (Benchmarks/) imports, each a library
/// product of its own so that a package depending on this one can name it.
/// TestSupport is test-only: the tools' tests use it, no product does.
var toolsPackageLibraries: [String] {
    ["CCurlShim", "CLibCurl", "Configuration", "Daemon", "Harness", "HTTPClient", "Imaging", "Jobs", "JobStore", "JSON", "JSONRPC", "PluginHost", "Posix", "TestSupport", "VisionCraftAPI"]
}

/// vcctl links statically (no shared libraries to load at start) unless
/// VISIONCRAFT_SANITIZE is set: the sanitizers' runtimes need a dynamic
/// executable (`VISIONCRAFT_SANITIZE=1 swift test --sanitize=address`). A
/// release build lays out first the functions its everyday commands run
/// (Sources/vcctl/startup.order, written by .ci/startup-order), which halves
/// the page faults of code at start; a name the binary lacks is skipped.
var vcctlLinkerSettings: [LinkerSetting] {
    if Context.environment["VISIONCRAFT_SANITIZE"] != nil { return [.linkedLibrary("z", .when(platforms: [.linux]))] }
    let order = ["--symbol-ordering-file=\(Context.packageDirectory)/Sources/vcctl/startup.order", "--no-warn-symbol-ordering"]
    return [
        .unsafeFlags(["-static-executable", "-use-ld=lld"], .when(platforms: [.linux])),
        .unsafeFlags(order.flatMap { ["-Xlinker", $0] }, .when(platforms: [.linux], configuration: .release)),
        .linkedLibrary("z", .when(platforms: [.linux])),
    ]
}

/// Under a sanitizer, the programs that dlopen plugins (the daemon, the test
/// runner) export the sanitizer runtime's symbols, which a plugin built with
/// the same sanitizer calls (`__tsan_external_write`, ...).
var sanitizerExportSettings: [LinkerSetting] {
    guard Context.environment["VISIONCRAFT_SANITIZE"] != nil else { return [] }
    return [.unsafeFlags(["-Xlinker", "--export-dynamic"], .when(platforms: [.linux]))]
}
