import Harness
import Posix

/// `visioncraft-reliability`: runs the reliability checks against freshly
/// started daemons and prints what they found.
///
/// ```
/// swift build -c release && swift build -c release --package-path Benchmarks
/// VISIONCRAFT_BIN_DIR=$PWD/.build/release Benchmarks/.build/release/visioncraft-reliability fuzz|crash [options]
/// ```
public enum ReliabilityTool {
    static let usage = """
        Usage: visioncraft-reliability fuzz [--inputs N] [--seed S] [--huge-line-mb N]
               visioncraft-reliability crash [--jobs N] [--kills N] [--seed S]
               visioncraft-reliability soak [--jobs N]
               visioncraft-reliability load [--jobs N] [--connections N] [--subscribers N]
               visioncraft-reliability images [--bomb-side N] [--image-memory-mb N] [--daemon-dir PATH] [--no-limit-flags]
               visioncraft-reliability memory [--jobs N] [--requests N] [--limit N] [--watch-seconds N]
               visioncraft-reliability growth [--jobs N] [--connections N] [--requests N]
        """

    static let help = """
        \(usage)

        fuzz   starts visioncraftd (no key, an unreachable upstream: nothing is
               generated) and sends its socket seeded mutations of valid requests
               and hand-made wrong messages (invalid UTF-8, deep nesting, huge
               numbers, half messages then a disconnect, oversized lines). Every
               1,000 inputs it checks that the daemon answers on the fuzzed
               connection and on a second one, and reads its memory.
        crash  runs a workload of jobs (1 to 7 images each, every fifth through the
               upscale plugin) on the embedded emulator and kills the daemon with
               SIGKILL at random moments, restarting it each time; then checks
               that every acknowledged job has exactly its images, stamped with its
               prompt, no stray or half-written file, one job per submission, and
               PRAGMA integrity_check.
        soak   runs jobs (1 to 3 images each) through the embedded emulator failing
               on purpose: 30% 5xx, 10% connection resets, 10% 429 with Retry-After,
               5% malformed bodies, 10% truncated and 10% slow downloads. Every job
               must succeed, no request may come before a Retry-After expired, and
               the generation requests must stay within what the faults explain.
        load   opens 500 connections asking daemon.status round after round and 20
               subscribers, while 8 writers queue 10,000 jobs (no key: they stay
               queued): daemon.status p99 must stay under 10 ms and every
               subscriber must hear of every job, with no events.dropped.
        images serves decompression bombs (an 8192x8192 PNG of one grey, 63 KB,
               256 MiB decoded) to jobs through upscale:scale=2 (a 1 GiB result),
               each phase on a fresh daemon: its defaults (which refuse the bomb),
               then the limits raised with a 1536 MiB image memory budget, one job
               and two at once. Both must succeed and the daemon's peak resident
               memory (VmHWM) must grow by no more than the budget and 64 MiB.
        memory fills a store with 2,000 jobs of 16 KiB prompts; then, each on a
               fresh daemon, one client sends 300 job.list {"limit":1000} (16.5 MB
               a reply) in one write and never reads, one sends them and reads as
               fast as it can, and one sends a batch of 1,000 and never reads.
               The daemon's RSS, sampled every 10 ms, must stay within 256 MB of
               where it started, and come back within 16 MB of it once the
               client is gone.
        growth reads the daemon's anonymous memory (RssAnon: its heap, not the
               shared libraries) idle, after 100,000 queued jobs, after 500
               connections at once, and 40 times through a soak of 1,000,000
               requests (daemon.status, job.get, job.list) pipelined on 4
               connections, each replaced every 50,000 requests. Past the soak's
               first tenth it must grow by no more than 1 MiB.

        Options:
          --inputs N        fuzz: inputs to send (default 1,000,000)
          --huge-line-mb N  fuzz: one oversized line of N MiB first (default 100; 0: none)
          --jobs N          crash: jobs in the workload (default 200); soak: jobs (default 1,000);
                            load: jobs queued (default 10,000); memory: jobs in the store (default 2,000);
                            growth: jobs queued (default 100,000)
          --requests N      memory: job.list requests in the one write (default 300);
                            growth: requests of the soak (default 1,000,000)
          --limit N         memory: their limit (default 1,000)
          --watch-seconds N memory: how long a client that does not read is watched (default 10)
          --connections N   load: connections asking daemon.status (default 500);
                            growth: connections at once (default 500)
          --subscribers N   load: event subscribers (default 20)
          --bomb-side N     images: the bomb's side (default 8192)
          --image-memory-mb N  images: the budget given, and the bound (default 1536)
          --daemon-dir PATH images: measure the visioncraftd (and plugins) in PATH instead
          --no-limit-flags  images: give that daemon no image flags (a build without them)
          --kills N         crash: SIGKILLs (default 100)
          --seed S          the seed; a run is reproduced by it

        """

    /// Runs the tool with `arguments` (without argv[0]); returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        if arguments.contains("-h") || arguments.contains("--help") {
            write(to: .standardOutput, help)
            return 0
        }
        func fail(_ message: String) -> Int32 {
            write(to: .standardError, "visioncraft-reliability: \(message)\n\(usage)\n")
            return 64
        }
        let checks = ["fuzz", "crash", "soak", "load", "images", "memory", "growth"]
        guard let check = arguments.first else { return fail("name a check: \(checks.joined(separator: ", "))") }
        guard checks.contains(check) else {
            return fail("unknown check '\(check)' (there are: \(checks.joined(separator: ", ")))")
        }
        var fuzz = RPCFuzzCampaign.Settings()
        fuzz.inputs = 1_000_000
        fuzz.hugeLineBytes = [100 << 20]
        var crash = CrashCampaign.Settings()
        var soak = SoakCampaign.Settings()
        var load = LoadCampaign.Settings()
        var images = ImageMemoryCampaign.Settings()
        var memory = MemoryCampaign.Settings()
        var growth = GrowthCampaign.Settings()
        var index = 1
        while index < arguments.count {
            let option = arguments[index]
            index += 1
            if check == "images", option == "--no-limit-flags" {
                images.passLimitFlags = false
                continue
            }
            if check == "images", option == "--daemon-dir" {
                guard index < arguments.count, arguments[index].hasPrefix("/") else { return fail("--daemon-dir needs an absolute path") }
                images.daemonDirectory = arguments[index]
                index += 1
                continue
            }
            guard index < arguments.count, let value = UInt64(arguments[index]) else {
                return fail("\(option) needs a number")
            }
            switch (check, option) {
            case ("fuzz", "--inputs") where value > 0: fuzz.inputs = Int(value)
            case ("fuzz", "--huge-line-mb") where value <= 4096: fuzz.hugeLineBytes = value == 0 ? [] : [Int(value) << 20]
            case ("crash", "--jobs") where value > 0 && value <= 100_000: crash.jobs = Int(value)
            case ("crash", "--kills") where value <= 10_000: crash.kills = Int(value)
            case ("soak", "--jobs") where value > 0 && value <= 100_000: soak.jobs = Int(value)
            case ("load", "--jobs") where value > 0 && value <= 1_000_000: load.jobs = Int(value)
            case ("load", "--connections") where value > 0 && value <= 10_000: load.connections = Int(value)
            case ("load", "--subscribers") where value <= 1_000: load.subscribers = Int(value)
            case ("images", "--bomb-side") where value >= 64 && value <= 16384: images.bombSide = Int(value)
            case ("images", "--image-memory-mb") where value >= 16 && value <= 1 << 20: images.imageMemoryMB = Int(value)
            case ("memory", "--jobs") where value > 0 && value <= 1_000_000: memory.jobs = Int(value)
            case ("memory", "--requests") where value > 0 && value <= 100_000: memory.requests = Int(value)
            case ("memory", "--limit") where value > 0 && value <= 1_000: memory.limit = Int(value)
            case ("growth", "--jobs") where value > 0 && value <= 1_000_000: growth.jobs = Int(value)
            case ("growth", "--connections") where value > 0 && value <= 10_000: growth.connections = Int(value)
            case ("growth", "--requests") where value >= 1_000 && value <= 100_000_000: growth.requests = Int(value)
            case ("memory", "--watch-seconds") where value > 0 && value <= 3_600: memory.watch = .seconds(Int64(value))
            case (_, "--seed"):
                fuzz.seed = value
                crash.seed = value
            case (_, "--inputs"), (_, "--huge-line-mb"), (_, "--jobs"), (_, "--kills"), (_, "--connections"), (_, "--subscribers"),
                (_, "--bomb-side"), (_, "--image-memory-mb"), (_, "--requests"), (_, "--limit"), (_, "--watch-seconds"):
                return fail("\(option) \(value) is not a valid value for \(check)")
            default:
                return fail("unknown option '\(option)' for \(check)")
            }
            index += 1
        }
        do {
            let binaries = try Binaries()
            let folder = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/visioncraft-reliability-")
            let progress: (String) -> Void = { write(to: .standardError, $0 + "\n") }
            if check == "memory" {
                write(to: .standardError, "\(memory.jobs) jobs, \(memory.requests) job.list {\"limit\":\(memory.limit)} at once, in \(folder)\n")
                let report = try MemoryCampaign(binaries: binaries, folder: folder, settings: memory).run(progress: progress)
                write(to: .standardOutput, render(report))
                for failure in report.failures { write(to: .standardError, "visioncraft-reliability: \(failure)\n") }
                return report.failures.isEmpty ? 0 : 1
            }
            if check == "growth" {
                write(to: .standardError, "\(growth.jobs) jobs, \(growth.connections) connections, a soak of \(growth.requests) requests, in \(folder)\n")
                let report = try GrowthCampaign(binaries: binaries, folder: folder, settings: growth).run(progress: progress)
                write(to: .standardOutput, render(report))
                return 0
            }
            if check == "load" {
                write(to: .standardError, "\(load.connections) connections, \(load.subscribers) subscribers, \(load.jobs) jobs, in \(folder)\n")
                let report = try LoadCampaign(binaries: binaries, folder: folder, settings: load).run(progress: progress)
                write(to: .standardOutput, render(report))
                return 0
            }
            if check == "images" {
                write(to: .standardError, "bombs of \(images.bombSide)x\(images.bombSide) through upscale, in \(folder)\n")
                let report = try ImageMemoryCampaign(binaries: binaries, folder: folder, settings: images).run(progress: progress)
                write(to: .standardOutput, render(report))
                for problem in report.problems { write(to: .standardError, "visioncraft-reliability: \(problem)\n") }
                return report.problems.isEmpty ? 0 : 1
            }
            if check == "soak" {
                write(to: .standardError, "\(soak.jobs) jobs through a failing emulator, in \(folder)\n")
                let report = try SoakCampaign(binaries: binaries, folder: folder, settings: soak).run(progress: progress)
                write(to: .standardOutput, render(report))
                return 0
            }
            if check == "crash" {
                write(to: .standardError, "\(crash.jobs) jobs, \(crash.kills) kills, seed \(crash.seed), in \(folder)\n")
                let report = try CrashCampaign(binaries: binaries, folder: folder, settings: crash).run(progress: progress)
                write(to: .standardOutput, render(report, settings: crash))
                return 0
            }
            let daemon = try SandboxedDaemon.startIdle(binaries, folder: folder)
            defer { daemon.server.stop() }
            write(to: .standardError, "fuzzing visioncraftd (pid \(daemon.server.child.pid)) with \(fuzz.inputs) inputs, seed \(fuzz.seed)\n")
            let campaign = RPCFuzzCampaign(socket: daemon.socket, daemonProcessID: daemon.server.child.pid, settings: fuzz)
            write(to: .standardOutput, render(try campaign.run(progress: progress), settings: fuzz))
            return 0
        } catch {
            write(to: .standardError, "visioncraft-reliability: \(error)\n")
            return 1
        }
    }

    static func render(_ report: CrashCampaign.Report, settings: CrashCampaign.Settings) -> String {
        var table = TextTable(header: ["SIGKILL at random moments (seed \(settings.seed))", "value"])
        table.append(["kills", "\(report.kills)"])
        table.append(["kills while jobs were running", "\(report.killsDuringWork)"])
        table.append(["kills while a plugin hook was running", "\(report.killsDuringPluginHooks)"])
        table.append(["jobs acknowledged and finished with exactly their images", "\(report.acknowledged)"])
        table.append(["images, each a whole PNG stamped with its prompt", "\(report.images)"])
        table.append(["lost, doubled, stray files; integrity_check", "0, 0, 0; ok"])
        table.append(["time", Format.fixed(report.elapsed.seconds, 1) + " s"])
        return table.render() + "\n"
    }

    static func render(_ report: ImageMemoryCampaign.Report) -> String {
        var table = TextTable(header: ["decompression bombs (\(report.bombBytes / 1024) KiB PNGs)", "jobs", "peak RSS growth", "time", "outcome"])
        var messages: [String] = []
        for phase in report.phases {
            // The state and kind in the table, the messages below it.
            let outcomes = Set(phase.outcomes.map { String($0.split(separator: ":").prefix(2).joined(separator: ":")) }).sorted()
            table.append([phase.name, "\(phase.outcomes.count)", "\(phase.growthMB) MiB", Format.fixed(phase.elapsed.seconds, 1) + " s", outcomes.joined(separator: "; ")])
            messages += Set(phase.outcomes.filter { $0 != "succeeded" }).sorted().map { "\(phase.name): \($0)" }
        }
        return table.render() + "\n(peak RSS growth: the daemon's VmHWM at the end over its VmHWM when ready; the budget given was \(report.budgetMB) MiB)\n"
            + messages.map { $0 + "\n" }.joined()
    }

    static func render(_ report: SoakCampaign.Report) -> String {
        var table = TextTable(header: ["flaky upstream soak", "value"])
        table.append(["jobs, all succeeded with their images", "\(report.jobs) (\(report.images) images)"])
        let statuses = report.generationsByStatus.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        table.append(["generation requests", "\(report.generations) (\(statuses))"])
        table.append(["  vs the minimum (one per job)", Format.fixed(Double(report.generations) / Double(max(1, report.minimumGenerations)), 2) + "x"])
        table.append(["  vs what the faults explain (\(Int(report.expectedGenerations)))",
                      Format.fixed(Double(report.generations) / max(1, report.expectedGenerations), 2) + "x"])
        table.append(["image downloads (truncated and reset ones fetched again)", "\(report.downloads)"])
        table.append(["requests before a Retry-After expired", "\(report.earlyRequests)"])
        table.append(["time", Format.fixed(report.elapsed.seconds, 1) + " s"])
        return table.render() + "\n"
    }

    static func render(_ report: GrowthCampaign.Report) -> String {
        func megabytes(_ kilobytes: Int) -> String { Format.fixed(Double(kilobytes) / 1024, 1) + " MB" }
        var table = TextTable(header: ["visioncraftd anonymous memory (RssAnon)", "value"])
        table.append(["idle", megabytes(report.idle)])
        table.append(["after \(report.jobs) jobs queued", megabytes(report.afterJobs)])
        table.append(["after \(report.connections) connections at once", megabytes(report.afterConnections)])
        table.append(["a tenth into a soak of \(report.requests) requests", megabytes(report.warm)])
        table.append(["at the end of the soak", megabytes(report.soak.last?.kilobytes ?? 0)])
        table.append(["growth over the soak after its first tenth", Format.fixed(Double(report.growth), 0) + " KiB"])
        table.append(["time", Format.fixed(report.elapsed.seconds, 1) + " s"])
        return table.render() + "\n(readings over the soak, MB: " + report.soak.map { Format.fixed(Double($0.kilobytes) / 1024, 1) }.joined(separator: " ") + ")\n"
    }

    static func render(_ report: LoadCampaign.Report) -> String {
        func milliseconds(_ duration: Duration) -> String { Format.fixed(duration.seconds * 1000, 2) + " ms" }
        var table = TextTable(header: ["load", "value"])
        table.append(["connections asking daemon.status", "\(report.connections)"])
        table.append(["jobs queued", "\(report.jobs) in \(Format.fixed(report.submitSeconds, 1)) s (\(Format.rate(Double(report.jobs) / max(report.submitSeconds, 0.001))))"])
        table.append(["daemon.status answers timed", "\(report.statusLatencies.count)"])
        table.append(["daemon.status p50 / p99 / max", "\(milliseconds(report.statusLatency(at: 0.5))) / \(milliseconds(report.statusLatency(at: 0.99))) / \(milliseconds(report.statusLatency(at: 1)))"])
        let heard = report.eventsPerSubscriber
        table.append(["job.updated per subscriber (min / max)", "\(heard.min() ?? 0) / \(heard.max() ?? 0)"])
        table.append(["events.dropped notices", "\(report.dropped)"])
        return table.render() + "\n"
    }

    static func render(_ report: MemoryCampaign.Report) -> String {
        // 0: no reading (the daemon was killed at the ceiling before it).
        func megabytes(_ kilobytes: Int) -> String { kilobytes == 0 ? "-" : Format.fixed(Double(kilobytes) / 1024, 0) }
        var table = TextTable(header: ["client", "RSS MB: before / peak / after", "anonymous MB: before / peak / after", "read", "time", "bounds"])
        for phase in report.phases {
            table.append([
                phase.name,
                "\(megabytes(phase.baseline.resident)) / \(megabytes(phase.peak.resident)) / \(megabytes(phase.after.resident))",
                "\(megabytes(phase.baseline.anonymous)) / \(megabytes(phase.peak.anonymous)) / \(megabytes(phase.after.anonymous))",
                phase.replies > 0 ? "\(phase.replies) replies, \(phase.bytesRead >> 20) MiB" : "-",
                Format.fixed(phase.elapsed.seconds, 1) + " s",
                phase.failure == nil ? "kept" : "BROKEN",
            ])
        }
        return table.render() + "\n"
    }

    static func render(_ report: RPCFuzzCampaign.Report, settings: RPCFuzzCampaign.Settings) -> String {
        let elapsed = report.elapsed.seconds
        var table = TextTable(header: ["JSON-RPC fuzzing (seed \(settings.seed))", "value"])
        table.append(["inputs sent", "\(report.inputs) (\(Format.rate(Double(report.inputs) / max(elapsed, 0.001))))"])
        table.append(["bytes sent", "\(report.bytes)"])
        table.append(["replies: parse errors / invalid requests / other errors", "\(report.parseErrors) / \(report.invalidRequests) / \(report.otherErrors)"])
        table.append(["replies in all", "\(report.replies)"])
        table.append(["connections dropped (half messages, oversized lines)", "\(report.reconnections)"])
        table.append(["checkpoints answered", "\(report.checkpoints)"])
        table.append(["slowest daemon.status on another connection", Format.micros(report.slowestStatus.seconds * 1e6)])
        if let start = report.residentKilobytesAtStart, let peak = report.residentKilobytesPeak, let end = report.residentKilobytesAtEnd {
            table.append(["daemon memory (RSS): start / peak / end", "\(start / 1024) / \(peak / 1024) / \(end / 1024) MB"])
        }
        return table.render() + "\n"
    }

    private static func write(to descriptor: FileDescriptor, _ text: String) {
        try? descriptor.writeAll(text)
    }
}
