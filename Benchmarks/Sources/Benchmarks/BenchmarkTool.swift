import Harness
import Posix

/// `visioncraft-bench`: runs the benchmarks and prints tables, or writes
/// the whole report (BENCHMARKS.md and its plot).
///
/// ```
/// swift build -c release && swift build -c release --package-path Benchmarks
/// export VISIONCRAFT_BIN_DIR=$PWD/.build/release      # the product's visioncraftd, vcctl, emulator, plugins
/// Benchmarks/.build/release/visioncraft-bench [rpc|cli|upstream|queue|backends|mcp|plugins|scaling] [--duration S] [--connections 1,8,64] [--no-aria2] [--no-startup]
/// Benchmarks/.build/release/visioncraft-bench report [--out BENCHMARKS.md] [--plot BENCHMARKS-scaling.svg]
/// ```
public enum BenchmarkTool {
    static let usage = "Usage: visioncraft-bench [rpc|cli|upstream|queue|backends|mcp|plugins|scaling] [--duration SECONDS] [--connections 1,8,64] [--no-aria2] [--no-startup]\n"
        + "       visioncraft-bench report [--out FILE] [--plot FILE] [--duration SECONDS] [--no-aria2]\n"

    static let help = """
        Usage: visioncraft-bench [rpc|cli|upstream|queue|backends|mcp|plugins|scaling] [options]
               visioncraft-bench report [--out FILE] [--plot FILE] [options]

        rpc       JSON-RPC round trips on visioncraftd against aria2's JSON-RPC and a
                  C floor with one load generator, and idle memory.
        cli       vcctl status, list --limit 20 and submit against tsp -l and tsp true
                  (hyperfine), on a daemon holding 1,000 jobs, as ratios with targets.
        upstream  requests per second the emulator serves (/generate and image
                  downloads) against a plain Python server, and the cost of one
                  VisionCraftClient call over the load generator's bare round trip.
        backends  one image a job through visioncraftd in front of each emulated kind
                  of backend (a1111, openai, comfyui) against Python's http.client asking
                  the same emulator directly.
        mcp       tools/call generate_image through one vcctl mcp against the same
                  job on the daemon's socket and through vcctl submit --wait.
        queue     durable submits per second (1 and 16 clients) against SQLite's
                  one-insert-per-commit floor, images per second through the daemon
                  against the library alone and a plain Python requests.post loop,
                  memory, and a daemon holding 100,000 jobs (start-up, job.list).
        plugins   the upscale plugin against libvips and ImageMagick (pixel rate,
                  and file to file), and the cost of a hook that does nothing.
        scaling   how cost grows: a daemon holding 1 to 100,000 jobs, and 1 to 500
                  clients at once against aria2 and the C floor.
        report    all seven, then BENCHMARKS.md: the machine, every figure beside its
                  peer as a ratio, the scaling plot (SVG), where we are behind and
                  why, and every table. .ci/benchmarks installs the peers, builds
                  and runs this.
        Without a name, the first five (tables on stdout). Build both
        packages first, and name the product's build in VISIONCRAFT_BIN_DIR:
        swift build -c release && swift build -c release --package-path Benchmarks
        export VISIONCRAFT_BIN_DIR=$PWD/.build/release

        Options:
          --duration SECONDS     measuring time per run (default 3; scaling: 1)
          --connections LIST     connection counts (default 1,8,64; upstream: 1,8)
          --no-aria2             skip aria2
          --no-startup           without a name, skip cli (vcctl against tsp)
          --out FILE             report: where the Markdown goes (default BENCHMARKS.md)
          --plot FILE            report: the SVG plot, next to it (default
                                 BENCHMARKS-scaling.svg)

        """

    /// Runs the tool with `arguments` (without argv[0]); returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        var settings = RPCBenchmark.Settings()
        var includeCLI = true
        var upstreamSettings = UpstreamBenchmark.Settings()
        var scalingSettings = ScalingBenchmark.Settings()
        var suites: [String] = []
        var report = false
        var output = "BENCHMARKS.md"
        var plot = "BENCHMARKS-scaling.svg"
        var index = 0
        func fail(_ message: String) -> Int32 {
            write(to: .standardError, "visioncraft-bench: \(message)\n" + usage)
            return 64
        }
        func value(_ flag: String) -> String? {
            index += 1
            return index < arguments.count ? arguments[index] : nil
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "rpc", "cli", "upstream", "queue", "backends", "mcp", "plugins", "scaling": suites.append(argument)
            case "report": report = true
            case "-h", "--help":
                write(to: .standardOutput, help)
                return 0
            case "--duration":
                guard let text = value(argument), let seconds = Double(text), seconds > 0, seconds <= 3600 else {
                    return fail("--duration needs a number of seconds above 0 (at most 3600)")
                }
                settings.duration = .milliseconds(Int64(seconds * 1000))
                upstreamSettings.duration = settings.duration
                scalingSettings.duration = settings.duration
            case "--connections":
                let counts = value(argument).map { $0.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) } } ?? []
                guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    return fail("--connections needs a list of positive counts such as 1,8,64")
                }
                settings.connectionCounts = counts.compactMap { $0 }
                upstreamSettings.connectionCounts = settings.connectionCounts
            case "--out", "--plot":
                guard let path = value(argument), !path.isEmpty, !path.hasPrefix("-") else { return fail("\(argument) needs a file name") }
                if argument == "--out" { output = path } else { plot = path }
            case "--no-aria2":
                settings.includeAria2 = false
                scalingSettings.includeAria2 = false
            case "--no-startup": includeCLI = false
            default: return fail("unknown argument '\(argument)'")
            }
            index += 1
        }
        if report, !suites.isEmpty { return fail("report runs every benchmark; name none with it") }
        Signals.ignoreBrokenPipe()
        let progress: @Sendable (String) -> Void = { write(to: .standardError, $0 + "\n") }
        do {
            let binaries = try Binaries()
            let findings = BenchmarkFindings()
            let context = BenchmarkContext(binaries: binaries, findings: findings, print: progress)
            var wanted = suites
            if report {
                wanted = ["rpc", "cli", "upstream", "plugins", "queue", "backends", "mcp", "scaling"]
            } else if suites.isEmpty {
                wanted = ["rpc"] + (includeCLI ? ["cli"] : []) + ["upstream", "plugins", "queue"]
            }
            var sections: [BenchmarkReport.Section] = []
            var scaling: ScalingBenchmark.Outcome?
            for suite in wanted {
                progress("\(suite):")
                switch suite {
                case "rpc":
                    sections.append(.init(title: "JSON-RPC round trips (visioncraftd, the C floor, aria2)", text: try RPCBenchmark(settings: settings, context: context).run()))
                case "cli":
                    sections.append(.init(title: "vcctl against task-spooler", text: try CLIBenchmark(settings: .init(), context: context).run()))
                case "upstream":
                    sections.append(.init(title: "The emulator and the upstream client", text: try UpstreamBenchmark(settings: upstreamSettings, context: context).run()))
                case "backends":
                    sections.append(.init(title: "In front of each kind of backend", text: try BackendsBenchmark(settings: .init(), context: context).run()))
                case "mcp":
                    sections.append(.init(title: "vcctl mcp for AI assistants", text: try MCPBenchmark(settings: .init(), context: context).run()))
                case "plugins":
                    sections.append(.init(title: "Plugins against libvips and ImageMagick", text: try PluginBenchmark(settings: .init(), context: context).run()))
                case "queue":
                    var queueSettings = QueueBenchmark.Settings()
                    queueSettings.duration = settings.duration
                    sections.append(.init(title: "The queue", text: try QueueBenchmark(settings: queueSettings, context: context).run()))
                default:
                    let outcome = try ScalingBenchmark(settings: scalingSettings, context: context).run()
                    scaling = outcome
                    if !report { sections.append(.init(title: "How cost grows with load", text: outcome.text)) }
                }
            }
            guard report else {
                write(to: .standardOutput, sections.map(\.text).joined(separator: "\n\n") + "\n")
                return 0
            }
            if let scaling {
                let plotPath = plot.hasPrefix("/") ? plot : FileSystem.parentDirectory(of: output) + "/" + plot
                try FileSystem.writeFileAtomically(plotPath, Array(scaling.chart.render().utf8))
            }
            let document = BenchmarkReport(
                date: WallClock.now().iso8601, machine: BenchmarkReport.describeMachine(), sections: sections, findings: findings.all,
                plot: scaling == nil ? nil : plot, scaling: scaling?.text
            )
            try FileSystem.writeFileAtomically(output, Array(document.markdown().utf8))
            progress("wrote \(output) and \(plot)")
            return 0
        } catch {
            write(to: .standardError, "visioncraft-bench: \(error)\n")
            return 1
        }
    }

    private static func write(to fd: FileDescriptor, _ text: String) {
        try? fd.writeAll(Array(text.utf8))
    }
}
