import Posix

/// `visioncraft-bench`: runs the benchmarks and prints tables.
///
/// ```
/// swift build -c release && .build/release/visioncraft-bench [rpc|cli|upstream|queue|plugins] [--duration S] [--connections 1,8,64] [--no-aria2] [--no-startup]
/// ```
public enum BenchmarkTool {
    /// Runs the tool with `arguments` (without argv[0]); returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        var settings = RPCBenchmark.Settings()
        var includeCLI = true
        var upstreamSettings = UpstreamBenchmark.Settings()
        var suites: [String] = []
        var index = 0
        func fail(_ message: String) -> Int32 {
            write(to: .standardError, "visioncraft-bench: \(message)\nUsage: visioncraft-bench [rpc|cli|upstream|queue|plugins] [--duration SECONDS] [--connections 1,8,64] [--no-aria2] [--no-startup]\n")
            return 64
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "rpc", "cli", "upstream", "queue", "plugins": suites.append(argument)
            case "-h", "--help":
                write(to: .standardOutput, """
                    Usage: visioncraft-bench [rpc|cli|upstream|queue|plugins] [options]

                    rpc       JSON-RPC round trips on visioncraftd against aria2's JSON-RPC and a
                              C floor with one load generator, and idle memory.
                    cli       vcctl status, list --limit 20 and submit against tsp -l and tsp true
                              (hyperfine), on a daemon holding 1,000 jobs, as ratios with targets.
                    upstream  requests per second the emulator serves (/generate and image
                              downloads) against a plain Python server, and the cost of one
                              VisionCraftClient call over the load generator's bare round trip.
                    queue     durable submits per second (1 and 16 clients) against SQLite's
                              one-insert-per-commit floor, images per second through the daemon
                              against the library alone and a plain Python loop, memory, and a
                              daemon holding 100,000 jobs (start-up, job.list latency).
                    plugins   the upscale plugin against libvips and ImageMagick (pixel rate,
                              and file to file), and the cost of a hook that does nothing.
                    Without a name, all five. Build first: swift build -c release

                    Options:
                      --duration SECONDS     measuring time per run (default 3)
                      --connections LIST     connection counts (default 1,8,64; upstream: 1,8)
                      --no-aria2             skip aria2
                      --no-startup           without a name, skip cli (vcctl against tsp)

                    """)
                return 0
            case "--duration":
                index += 1
                guard index < arguments.count, let seconds = Double(arguments[index]), seconds > 0 else {
                    return fail("--duration needs a positive number of seconds")
                }
                settings.duration = .milliseconds(Int64(seconds * 1000))
                upstreamSettings.duration = settings.duration
            case "--connections":
                index += 1
                let counts = index < arguments.count ? arguments[index].split(separator: ",").compactMap { Int($0) } : []
                guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else {
                    return fail("--connections needs a list of positive counts such as 1,8,64")
                }
                settings.connectionCounts = counts
                upstreamSettings.connectionCounts = counts
            case "--no-aria2": settings.includeAria2 = false
            case "--no-startup": includeCLI = false
            default: return fail("unknown argument '\(argument)'")
            }
            index += 1
        }
        Signals.ignoreBrokenPipe()
        let progress: (String) -> Void = { write(to: .standardError, $0 + "\n") }
        do {
            var reports: [String] = []
            let binaries = try BenchmarkBinaries()
            if suites.isEmpty || suites.contains("rpc") {
                reports.append(try RPCBenchmark(settings: settings, binaries: binaries, print: progress).run())
            }
            if suites.isEmpty ? includeCLI : suites.contains("cli") {
                reports.append(try CLIBenchmark(settings: .init(), binaries: binaries, print: progress).run())
            }
            if suites.isEmpty || suites.contains("upstream") {
                reports.append(try UpstreamBenchmark(settings: upstreamSettings, binaries: binaries, print: progress).run())
            }
            if suites.isEmpty || suites.contains("plugins") {
                reports.append(try PluginBenchmark(settings: .init(), binaries: binaries, print: progress).run())
            }
            if suites.isEmpty || suites.contains("queue") {
                var queueSettings = QueueBenchmark.Settings()
                queueSettings.duration = settings.duration
                reports.append(try QueueBenchmark(settings: queueSettings, binaries: binaries, print: progress).run())
            }
            write(to: .standardOutput, reports.joined(separator: "\n\n") + "\n")
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
