import Benchmarks
import Posix

/// `visioncraft-reliability`: runs the reliability checks against freshly
/// started daemons and prints what they found.
///
/// ```
/// swift build -c release && .build/release/visioncraft-reliability fuzz [--inputs N] [--seed S] [--huge-line-mb N]
/// ```
public enum ReliabilityTool {
    static let usage = "Usage: visioncraft-reliability fuzz [--inputs N] [--seed S] [--huge-line-mb N]"

    /// Runs the tool with `arguments` (without argv[0]); returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        var settings = RPCFuzzCampaign.Settings()
        settings.inputs = 1_000_000
        settings.hugeLineBytes = [100 << 20]
        func fail(_ message: String) -> Int32 {
            write(to: .standardError, "visioncraft-reliability: \(message)\n\(usage)\n")
            return 64
        }
        let help = """
            \(usage)

            fuzz  starts visioncraftd (no key, an unreachable upstream: nothing is
                  generated) and sends its socket seeded mutations of valid requests
                  and hand-made wrong messages (invalid UTF-8, deep nesting, huge
                  numbers, half messages then a disconnect, oversized lines). Every
                  1,000 inputs it checks that the daemon answers on the fuzzed
                  connection and on a second one, and reads its memory.

            Options:
              --inputs N        inputs to send (default 1,000,000)
              --seed S          the mutator's seed (default 1); a run is reproduced by it
              --huge-line-mb N  one oversized line of N MiB first (default 100; 0: none)

            """
        if arguments.contains("-h") || arguments.contains("--help") {
            write(to: .standardOutput, help)
            return 0
        }
        guard let check = arguments.first else { return fail("name a check: fuzz") }
        guard check == "fuzz" else { return fail("unknown check '\(check)' (there is: fuzz)") }
        var index = 1
        while index < arguments.count {
            let option = arguments[index]
            index += 1
            let value = index < arguments.count ? UInt64(arguments[index]) : nil
            switch option {
            case "--inputs":
                guard let value, value > 0 else { return fail("--inputs needs a positive count") }
                settings.inputs = Int(value)
            case "--seed":
                guard let value else { return fail("--seed needs a number") }
                settings.seed = value
            case "--huge-line-mb":
                guard let value, value <= 4096 else { return fail("--huge-line-mb needs a number of MiB up to 4096 (0 for none)") }
                settings.hugeLineBytes = value == 0 ? [] : [Int(value) << 20]
            default:
                return fail("unknown option '\(option)'")
            }
            index += 1
        }
        do {
            let binaries = try BenchmarkBinaries()
            let folder = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/visioncraft-reliability-")
            let daemon = try BenchmarkDaemon.start(binaries, folder: folder, arguments: ["--upstream", "http://127.0.0.1:9"])
            defer { daemon.server.stop() }
            write(to: .standardError, "fuzzing visioncraftd (pid \(daemon.server.child.pid)) with \(settings.inputs) inputs, seed \(settings.seed)\n")
            let campaign = RPCFuzzCampaign(socket: daemon.socket, daemonProcessID: daemon.server.child.pid, settings: settings)
            let report = try campaign.run { write(to: .standardError, $0 + "\n") }
            write(to: .standardOutput, render(report, settings: settings))
            return 0
        } catch {
            write(to: .standardError, "visioncraft-reliability: \(error)\n")
            return 1
        }
    }

    static func render(_ report: RPCFuzzCampaign.Report, settings: RPCFuzzCampaign.Settings) -> String {
        let seconds = Double(report.elapsed.components.seconds) + Double(report.elapsed.components.attoseconds) / 1e18
        var table = TextTable(header: ["JSON-RPC fuzzing (seed \(settings.seed))", "value"])
        table.append(["inputs sent", "\(report.inputs) (\(Format.rate(Double(report.inputs) / max(seconds, 0.001))))"])
        table.append(["bytes sent", "\(report.bytes)"])
        table.append(["replies: parse errors / invalid requests / other errors", "\(report.parseErrors) / \(report.invalidRequests) / \(report.otherErrors)"])
        table.append(["replies in all", "\(report.replies)"])
        table.append(["connections dropped (half messages, oversized lines)", "\(report.reconnections)"])
        table.append(["checkpoints answered", "\(report.checkpoints)"])
        table.append(["slowest daemon.status on another connection", Format.micros(Double(report.slowestStatus.components.attoseconds) / 1e12
            + Double(report.slowestStatus.components.seconds) * 1e6)])
        if let start = report.residentKilobytesAtStart, let peak = report.residentKilobytesPeak, let end = report.residentKilobytesAtEnd {
            table.append(["daemon memory (RSS): start / peak / end", "\(start / 1024) / \(peak / 1024) / \(end / 1024) MB"])
        }
        return table.render() + "\n"
    }

    private static func write(to descriptor: FileDescriptor, _ text: String) {
        try? descriptor.writeAll(text)
    }
}
