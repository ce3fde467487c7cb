import Harness
import JSON
import JSONRPC
import Posix

/// Many jobs through the embedded emulator while it fails on purpose (5xx,
/// connection resets, 429 with Retry-After, malformed bodies, truncated and
/// slow downloads): every job must succeed with its images, the daemon must
/// never ask again before a Retry-After has expired, and the generation
/// requests it makes must be no more than the faults explain (a download
/// that fails is fetched again, never generated again).
public struct SoakCampaign: Sendable {
    public struct Settings: Sendable {
        public var jobs = 1_000
        /// The embedded emulator's faults (as `--emulator-faults` takes them).
        public var serverErrorRate = 0.3
        public var resetRate = 0.1
        public var tooManyRequestsRate = 0.1
        public var malformedRate = 0.05
        public var truncatedDownloadRate = 0.1
        public var slowDownloadRate = 0.1
        public var retryAfterSeconds = 1
        /// How long the whole run may take.
        public var timeout: Duration = .seconds(1_800)

        public init() {}

        /// Images of job `index`: 1 to 3, one generation request each.
        static func imageCount(_ index: Int) -> Int { index % 3 + 1 }

        /// Generation answers that are not images: each costs one more request.
        var generationFailureRate: Double { serverErrorRate + resetRate + tooManyRequestsRate + malformedRate }

        var faults: String {
            """
            {"server_error_rate":\(serverErrorRate),"reset_rate":\(resetRate),"too_many_requests_rate":\(tooManyRequestsRate),\
            "retry_after_seconds":\(retryAfterSeconds),"malformed_rate":\(malformedRate),\
            "truncated_download_rate":\(truncatedDownloadRate),"slow_download_rate":\(slowDownloadRate)}
            """
        }
    }

    public struct Report: Sendable {
        public var jobs = 0
        public var images = 0
        /// One generation per job: what a fault-free upstream would need.
        public var minimumGenerations = 0
        public var generations = 0
        /// `minimumGenerations / (1 - failure rate)`: what the faults explain.
        public var expectedGenerations = 0.0
        public var generationsByStatus: [String: Int] = [:]
        public var downloads = 0
        public var earlyRequests = 0
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

    /// The most generation requests the faults explain: each job takes a
    /// geometric number of requests (success probability q = 1 - failure
    /// rate), so the total has mean n/q and standard deviation
    /// sqrt(n(1-q))/q; four deviations above the mean is a bound a correct
    /// daemon passes but a retry storm or a regeneration per failed download
    /// does not.
    public static func generationBound(jobs: Int, failureRate: Double) -> Double {
        let success = 1 - failureRate
        return Double(jobs) / success + 4 * (Double(jobs) * failureRate).squareRoot() / success
    }

    /// Runs the soak; throws a `ReliabilityError` naming the first broken promise.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        let started = MonotonicInstant.now()
        let daemon = try SandboxedDaemon.start(binaries, folder: folder, arguments: [
            "--emulator", "--emulator-faults", settings.faults, "--requests-per-minute", "0", "--max-in-flight", "4",
            "--max-attempts", "40", "--retry-base", "0.05",
        ])
        defer { daemon.server.stop() }
        let client = try RPCClient(descriptor: UnixSocket.connect(to: daemon.socket))
        defer { client.close() }
        var ids: [String] = []
        for index in 0..<settings.jobs {
            let params: JSONObject = [
                "prompt": .string("soak \(index)"), "image_count": .number(JSONNumber(Settings.imageCount(index))),
            ]
            guard let id = try client.call("job.submit", params: .object(params), timeout: .seconds(30))["id"]?.stringValue else {
                throw ReliabilityError("job.submit answered without an id")
            }
            ids.append(id)
        }
        progress("\(settings.jobs) jobs submitted")
        var report = Report()
        let deadline = MonotonicInstant.now().advanced(by: settings.timeout)
        for (index, id) in ids.enumerated() {
            let left = max(MonotonicInstant.now().duration(to: deadline), .seconds(1))
            let result = try client.call(
                "job.wait", params: ["id": .string(id), "timeout_seconds": .number(JSONNumber(left.components.seconds))], timeout: left + .seconds(10)
            )
            let job = result["job"] ?? .null
            guard job["state"] == "succeeded" else { throw ReliabilityError("job \(index) (\(id)) did not succeed: \(job)") }
            let saved = (job["images"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
            guard saved.count == Settings.imageCount(index), saved.allSatisfy({ (try? FileSystem.status($0))?.kind == .regular }) else {
                throw ReliabilityError("job \(index) (\(id)) has \(saved.count) saved images of \(Settings.imageCount(index))")
            }
            report.images += saved.count
            if (index + 1) % 100 == 0 { progress("\(index + 1) jobs finished") }
        }
        guard let url = try client.call("daemon.status", timeout: .seconds(10))["upstream"]?["url"]?.stringValue else {
            throw ReliabilityError("daemon.status names no upstream")
        }
        let statistics = try EmulatorStatistics.fetch(baseURL: url)
        report.jobs = settings.jobs
        report.minimumGenerations = settings.jobs
        report.generations = statistics.total("/generate")
        report.generationsByStatus = statistics.requests["/generate"] ?? [:]
        report.expectedGenerations = Double(settings.jobs) / (1 - settings.generationFailureRate)
        report.downloads = statistics.total("/images")
        report.earlyRequests = statistics.earlyRequests
        report.elapsed = started.elapsed
        guard report.earlyRequests == 0 else {
            throw ReliabilityError("\(report.earlyRequests) generation requests came before a Retry-After had expired")
        }
        guard Double(report.generations) <= Self.generationBound(jobs: settings.jobs, failureRate: settings.generationFailureRate) else {
            throw ReliabilityError(
                "\(report.generations) generation requests for \(settings.jobs) jobs: more than the faults explain (\(Int(report.expectedGenerations)))"
            )
        }
        return report
    }
}
