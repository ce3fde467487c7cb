import Harness
import Imaging
import JSON
import JSONRPC
import Posix

/// Decompression bombs through the upscale plugin: an emulator of its own
/// serves every image as a PNG of one grey (8192x8192 in 63 KB: 256 MiB
/// decoded), and jobs ask for `upscale:scale=2` (a 16384x16384, 1 GiB
/// result). Each phase runs on a fresh daemon whose peak resident memory
/// (VmHWM) is read at the end:
///
/// 1. the daemon's defaults, one job (they refuse the bomb from its header);
/// 2. the limits raised to let it through and an image memory budget, one
///    job: it succeeds, and the daemon's peak stays under the budget;
/// 3. the same, two jobs at once: both succeed, one after the other, and
///    the peak still stays under the budget (not twice one job's).
///
/// Another build's daemon can be measured (`daemonDirectory`); without
/// `passLimitFlags` its own defaults stand and phases 2 and 3 run with them
/// (the bound is still checked, so a daemon without a budget fails it).
public struct ImageMemoryCampaign: Sendable {
    public struct Settings: Sendable {
        /// The bomb's side, and the upscale factor.
        public var bombSide = 8192
        public var scale = 2
        /// Phases 2 and 3: `--image-memory` (also the bound checked).
        public var imageMemoryMB = 1536
        public var maxInputMegapixels = 64
        public var maxOutputMegapixels = 256
        /// Run phase 1 (the defaults).
        public var checkDefaults = true
        /// Give the daemon the flags above; false for a build without them.
        public var passLimitFlags = true
        /// The daemon (and its plugins) to measure; nil: the campaign's own build.
        public var daemonDirectory: String?
        /// What the daemon may hold besides the budget: libpng's and zlib's
        /// state, the download, allocator slack.
        public var slackMB = 64
        /// How long each phase may take.
        public var timeout: Duration = .seconds(900)

        public init() {}
    }

    /// One phase's outcome.
    public struct Phase: Sendable {
        public var name: String
        /// The daemon's peak resident memory when ready, and at the end (KiB).
        public var idlePeakKilobytes = 0
        public var peakKilobytes = 0
        /// The jobs' final states and errors ("succeeded", or "failed: kind: message").
        public var outcomes: [String] = []
        public var elapsed: Duration = .zero

        /// The peak over the idle daemon's, in MiB.
        public var growthMB: Int { max(0, peakKilobytes - idlePeakKilobytes) / 1024 }
    }

    public struct Report: Sendable {
        public var phases: [Phase] = []
        public var bombBytes = 0
        public var budgetMB = 0
        /// The promises broken (failed jobs, a peak past the bound); empty when all held.
        public var problems: [String] = []
    }

    public let binaries: Binaries
    public let folder: String
    public let settings: Settings

    public init(binaries: Binaries, folder: String, settings: Settings) {
        self.binaries = binaries
        self.folder = folder
        self.settings = settings
    }

    /// Runs the phases, each to its end; the report lists the promises
    /// broken. Throws when a phase cannot run (a daemon that does not start).
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        let (emulator, port) = try AnnouncingProcess.start(
            name: "visioncraft-emulator", executable: try binaries.ours("visioncraft-emulator"),
            arguments: ["--port", "0", "--bomb-download-rate", "1", "--bomb-side", String(settings.bombSide)]
        )
        defer { emulator.stop() }
        var report = Report()
        report.bombBytes = try PNGCodec.flatGray(width: settings.bombSide, height: settings.bombSide).count
        report.budgetMB = settings.imageMemoryMB
        let daemonBinaries = settings.daemonDirectory.map { Binaries(directory: $0) } ?? binaries
        let limits = settings.passLimitFlags ? [
            "--image-memory", String(settings.imageMemoryMB), "--max-input-megapixels", String(settings.maxInputMegapixels),
            "--max-output-megapixels", String(settings.maxOutputMegapixels),
        ] : []
        let side = settings.bombSide * settings.scale
        if settings.checkDefaults {
            progress("1. the daemon's defaults, one \(settings.bombSide)x\(settings.bombSide) bomb ...")
            report.phases.append(try phase("defaults, one job", daemonBinaries, port: port, flags: [], jobs: 1))
        }
        if settings.passLimitFlags {
            progress("2. limits raised, budget \(settings.imageMemoryMB) MiB, one job to \(side)x\(side) ...")
            let one = try phase("limits raised, one job", daemonBinaries, port: port, flags: limits, jobs: 1)
            report.phases.append(one)
            report.problems += problems(one, succeeded: 1, side: side)
        }
        progress("3. two jobs at once ...")
        let two = try phase(settings.passLimitFlags ? "limits raised, two jobs at once" : "two jobs at once", daemonBinaries, port: port, flags: limits, jobs: 2)
        report.phases.append(two)
        report.problems += problems(two, succeeded: 2, side: side)
        return report
    }

    private func problems(_ phase: Phase, succeeded: Int, side: Int) -> [String] {
        var problems: [String] = []
        if phase.outcomes.count != succeeded || !phase.outcomes.allSatisfy({ $0 == "succeeded" }) {
            problems.append("\(phase.name): the jobs did not all succeed: \(phase.outcomes)")
        }
        if phase.growthMB > settings.imageMemoryMB + settings.slackMB {
            problems.append(
                "\(phase.name): the daemon's peak grew by \(phase.growthMB) MiB, more than the \(settings.imageMemoryMB) MiB budget "
                    + "and \(settings.slackMB) MiB of slack (\(side)x\(side) results)"
            )
        }
        return problems
    }

    /// A fresh daemon on the emulator at `port`, `jobs` bomb jobs submitted at once, waited for.
    private func phase(_ name: String, _ daemonBinaries: Binaries, port: UInt16, flags: [String], jobs: Int) throws -> Phase {
        let started = MonotonicInstant.now()
        let directory = "\(folder)/\(name.filter { $0.isLetter || $0.isNumber })"
        let daemon = try SandboxedDaemon.start(
            daemonBinaries, folder: directory,
            arguments: ["--upstream", "http://127.0.0.1:\(port)", "--requests-per-minute", "0", "--output-dir", "\(directory)/images"] + flags,
            environment: Sandbox.environment(home: directory, extra: ["VISIONCRAFT_API_KEY": "reliability-key"])
        )
        defer { daemon.server.stop() }
        let pid = daemon.server.child.pid
        var result = Phase(name: name)
        result.idlePeakKilobytes = ResidentMemory.peakKilobytes(of: pid) ?? 0
        let client = try RPCClient(descriptor: UnixSocket.connect(to: daemon.socket))
        defer { client.close() }
        var ids: [String] = []
        for index in 0..<jobs {
            let params: JSONObject = [
                "prompt": .string("bomb \(index)"), "plugins": [.string("upscale:scale=\(settings.scale)")],
            ]
            guard let id = try client.call("job.submit", params: .object(params), timeout: .seconds(30))["id"]?.stringValue else {
                throw ReliabilityError("job.submit answered without an id")
            }
            ids.append(id)
        }
        for id in ids {
            let seconds = settings.timeout.components.seconds
            let job = try client.call(
                "job.wait", params: ["id": .string(id), "timeout_seconds": .number(JSONNumber(seconds))], timeout: settings.timeout + .seconds(10)
            )["job"] ?? .null
            let state = job["state"]?.stringValue ?? "?"
            if state == "succeeded" {
                guard let path = job["images"]?[0]?["path"]?.stringValue else { throw ReliabilityError("\(name): job \(id) saved no image") }
                let size = try PNGCodec.size(of: try FileSystem.readFile(path))
                guard size == (settings.bombSide * settings.scale, settings.bombSide * settings.scale) else {
                    throw ReliabilityError("\(name): job \(id) saved a \(size.width)x\(size.height) image")
                }
                result.outcomes.append(state)
            } else {
                result.outcomes.append("\(state): \(job["error"]?["kind"]?.stringValue ?? ""): \(job["error"]?["message"]?.stringValue ?? "")")
            }
        }
        result.peakKilobytes = ResidentMemory.peakKilobytes(of: pid) ?? 0
        result.elapsed = started.elapsed
        return result
    }
}
