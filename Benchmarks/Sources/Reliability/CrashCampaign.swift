import Harness
import Imaging
import Jobs
import JobStore
import JSON
import JSONRPC
import Posix

/// Kills visioncraftd with SIGKILL at seeded random moments while it takes
/// submits, generates, downloads, runs a plugin and writes files, restarting
/// it on the same folder each time; then lets it finish and checks that every
/// acknowledged job has exactly its images (none lost, none doubled, no stray
/// or half-written file, each stamped with its own prompt), that no retried
/// submit made a second job, and that the database passes
/// `PRAGMA integrity_check`.
public struct CrashCampaign: Sendable {
    public struct Settings: Sendable {
        public var jobs = 200
        public var kills = 100
        public var seed: UInt64 = 20_261_125
        /// The longest a daemon runs before its kill, in milliseconds (the
        /// campaign doubles it, up to 2 s, while kills find no job running).
        public var longestLifeMilliseconds = 250
        /// Every this-many-th job runs the upscale plugin (0: none).
        public var pluginEvery = 5
        /// How long the last run may take to finish every job.
        public var finishTimeout: Duration = .seconds(300)

        public init() {}

        /// Images of job `index`: 1 to 7.
        static func imageCount(_ index: Int) -> Int { index % 7 + 1 }
    }

    public struct Report: Sendable {
        public var kills = 0
        /// Kills after which the database held running jobs (the kill
        /// landed in the middle of work, not between jobs).
        public var killsDuringWork = 0
        /// Kills that landed while a plugin hook ran (the daemon logs each
        /// at the next start; the plugin stays enabled).
        public var killsDuringPluginHooks = 0
        public var acknowledged = 0
        public var images = 0
        public var elapsed: Duration = .zero
    }

    public let binaries: Binaries
    public let folder: String
    public let settings: Settings

    public init(binaries: Binaries, folder: String, settings: Settings) {
        self.binaries = binaries
        self.folder = folder
        self.settings = settings
    }

    /// Every kill counts an attempt for each job it interrupts (a job that
    /// keeps bringing the daemon down is failed as `crashed` after
    /// `--max-attempts` starts), and this campaign kills on purpose, often
    /// in the middle of the same long job: it allows the most attempts.
    static let daemonArguments = [
        "--emulator", "--requests-per-minute", "0", "--max-in-flight", "3", "--max-attempts", "100",
        "--emulator-faults", #"{"latency_ms":[1,6],"slow_download_rate":0.2}"#,
    ]

    /// Runs the campaign; throws a `ReliabilityError` naming the first broken promise.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        Signals.ignoreBrokenPipe()
        let started = MonotonicInstant.now()
        var report = Report()
        var mutator = InputMutator(seed: settings.seed)
        var acknowledged: [Int: String] = [:]
        var next = 0
        // On a crowded machine a daemon may do nothing within the longest
        // life: after a kill that found no job running while work was left,
        // lives may be twice as long (up to 2 s), and shrink back after one
        // that did, so the kills keep landing in the middle of work.
        var lifeCeiling = settings.longestLifeMilliseconds
        for kill in 0..<settings.kills {
            let daemon = try SandboxedDaemon.start(binaries, folder: folder, arguments: Self.daemonArguments)
            let life = 2 + mutator.below(max(1, lifeCeiling - 1))
            let child = daemon.server.child
            let killer = try OSThread.spawn(name: "killer") {
                // The fault: a kill at an arbitrary moment, not a wait for anything.
                var pause = timespec(tv_sec: life / 1000, tv_nsec: (life % 1000) * 1_000_000)
                nanosleep(&pause, nil)
                child.send(.kill)
            }
            if let client = try? RPCClient(descriptor: UnixSocket.connect(to: daemon.socket)) {
                while next < settings.jobs, case .success(let id) = submit(client, index: next) {
                    acknowledged[next] = id
                    next += 1
                }
                client.close()
            }
            killer.join()
            _ = try? child.wait()
            report.kills += 1
            let running = try jobs(in: .running)
            if running > 0 {
                report.killsDuringWork += 1
                lifeCeiling = max(settings.longestLifeMilliseconds, lifeCeiling / 2)
            } else if try next < settings.jobs || jobs(in: .queued) > 0 {
                lifeCeiling = min(2000, lifeCeiling * 2)
            }
            if (kill + 1) % 10 == 0 { progress("\(kill + 1) kills, \(acknowledged.count) jobs acknowledged") }
        }
        // The last run: no kill; the rest is submitted and everything finishes.
        let daemon = try SandboxedDaemon.start(binaries, folder: folder, arguments: Self.daemonArguments)
        var paths: [String: Int] = [:]
        do {
            defer { daemon.server.stop() }
            let client = try RPCClient(descriptor: UnixSocket.connect(to: daemon.socket))
            defer { client.close() }
            while next < settings.jobs {
                switch submit(client, index: next) {
                case .success(let id): acknowledged[next] = id
                case .failure(let error): throw ReliabilityError("job \(next): a submit failed with no kill: \(error)")
                }
                next += 1
            }
            progress("all \(settings.jobs) jobs acknowledged; waiting for them to finish")
            let deadline = MonotonicInstant.now().advanced(by: settings.finishTimeout)
            for (index, id) in acknowledged.sorted(by: { $0.key < $1.key }) {
                let left = max(MonotonicInstant.now().duration(to: deadline), .seconds(1))
                let seconds = left.components.seconds
                let result = try client.call(
                    "job.wait", params: ["id": .string(id), "timeout_seconds": .number(JSONNumber(seconds))], timeout: left + .seconds(10)
                )
                let job = result["job"] ?? .null
                guard job["state"] == "succeeded" else { throw ReliabilityError("job \(index) (\(id)) did not succeed: \(job)") }
                let jobPaths = (job["images"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
                guard jobPaths.count == Settings.imageCount(index) else {
                    throw ReliabilityError("job \(index) has \(jobPaths.count) images, not \(Settings.imageCount(index))")
                }
                for path in jobPaths { paths[path] = index }
            }
        }
        try checkFiles(paths)
        try checkStore()
        let log = (try? FileSystem.readFile("\(folder)/daemon.log")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        report.killsDuringPluginHooks = log.split(separator: "\n").count { $0.contains("was killed while plugin") }
        report.acknowledged = acknowledged.count
        report.images = paths.count
        report.elapsed = started.elapsed
        return report
    }

    /// Submits job `index` with an idempotency key (a submit retried after a
    /// kill gets the same job); a failure when the daemon died before answering.
    private func submit(_ client: RPCClient, index: Int) -> Result<String, ReliabilityError> {
        var params: JSONObject = [
            "prompt": .string("crash \(index)"),
            "image_count": .number(JSONNumber(Settings.imageCount(index))),
            "idempotency_key": .string("job-\(index)"),
        ]
        if settings.pluginEvery > 0, index % settings.pluginEvery == 0 { params["plugins"] = ["upscale:scale=2"] }
        do {
            guard let id = try client.call("job.submit", params: .object(params), timeout: .seconds(10))["id"]?.stringValue else {
                return .failure(ReliabilityError("job.submit answered without an id"))
            }
            return .success(id)
        } catch {
            return .failure(ReliabilityError("\(error)"))
        }
    }

    private var databasePath: String { "\(folder)/state/visioncraft/jobs.sqlite3" }

    /// Jobs the database holds as running (the daemon is dead).
    private func jobs(in state: JobState) throws -> Int {
        try JobStore(path: databasePath).list(.init(state: state, limit: 1000)).count
    }

    /// Every file under the pictures folder is one of `paths` and vice
    /// versa, and each is a whole PNG stamped with its job's prompt.
    private func checkFiles(_ paths: [String: Int]) throws {
        var found: Set<String> = []
        func walk(_ directory: String) throws {
            for name in try FileSystem.contentsOfDirectory(directory) ?? [] {
                let path = "\(directory)/\(name)"
                if try FileSystem.linkStatus(path)?.kind == .directory { try walk(path) } else { found.insert(path) }
            }
        }
        try walk("\(folder)/Pictures")
        let expected = Set(paths.keys)
        if found != expected {
            let stray = found.subtracting(expected).sorted().prefix(5), missing = expected.subtracting(found).sorted().prefix(5)
            throw ReliabilityError("the pictures folder does not match the jobs: stray \(Array(stray)), missing \(Array(missing))")
        }
        for (path, index) in paths {
            let decoded: (image: RGBAImage, text: [PNGCodec.TextChunk])
            do { decoded = try PNGCodec.decode(try FileSystem.readFile(path)) } catch {
                throw ReliabilityError("\(path) is not a whole PNG: \(error)")
            }
            guard decoded.text.first(where: { $0.keyword == "parameters" })?.text.hasPrefix("crash \(index)\n") == true else {
                throw ReliabilityError("\(path) is not stamped with job \(index)'s prompt")
            }
        }
    }

    /// One job per submission, and an intact database.
    private func checkStore() throws {
        let store = try JobStore(path: databasePath)
        let count = try store.list(.init(limit: settings.jobs + 100)).count
        guard count == settings.jobs else { throw ReliabilityError("the database holds \(count) jobs for \(settings.jobs) submissions") }
        let integrity = try store.connection.statement("PRAGMA integrity_check").first([]) { row in row.text(0) }
        guard integrity == "ok" else { throw ReliabilityError("PRAGMA integrity_check: \(integrity ?? "no answer")") }
    }
}
