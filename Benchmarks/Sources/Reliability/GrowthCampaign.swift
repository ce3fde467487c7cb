import Harness
import JSON
import JSONRPC
import Posix

/// Whether the daemon's own memory grows with use: its anonymous resident
/// memory (RssAnon: the heap and the other private mappings, not the shared
/// libraries that make up most of its RSS) idle, after a store of many jobs
/// and hundreds of connections opened and closed, and sampled through a
/// soak of a million requests (`daemon.status`, `job.get`, `job.list`,
/// pipelined on a few connections, each connection replaced now and then).
/// Past the soak's first tenth (caches warm, the allocator's arenas made),
/// the memory must stay flat: a leak of a few bytes a request is a megabyte
/// by the end.
public struct GrowthCampaign: Sendable {
    public struct Settings: Sendable {
        /// Jobs put in the store (queued: the daemon has no key).
        public var jobs = 100_000
        /// Connections opened at once, then closed.
        public var connections = 500
        /// Requests of the soak.
        public var requests = 1_000_000
        /// Connections of the soak, each on a thread of its own.
        public var clients = 4
        /// Requests written before their replies are read.
        public var pipelineDepth = 200
        /// Requests on a connection before it is closed and another opened.
        public var requestsPerConnection = 50_000
        /// Readings of the memory over the soak.
        public var samples = 40
        /// The most the memory may grow from the reading at the soak's first
        /// tenth to its highest after.
        public var growthLimitKilobytes = 1 << 10

        public init() {}
    }

    /// Memory readings, in kilobytes of RssAnon.
    public struct Report: Sendable {
        public var idle = 0
        public var afterJobs = 0
        public var afterConnections = 0
        /// (requests answered so far, kilobytes), over the soak.
        public var soak: [(requests: Int, kilobytes: Int)] = []
        public var jobs = 0
        public var connections = 0
        public var requests = 0
        public var elapsed: Duration = .zero

        /// The reading a tenth into the soak, the baseline of `growth`.
        public var warm: Int { soak.first { $0.requests * 10 >= requests }?.kilobytes ?? soak.first?.kilobytes ?? 0 }
        /// The highest reading after `warm`'s, above it.
        public var growth: Int {
            let later = soak.filter { $0.requests * 10 >= requests }.map(\.kilobytes)
            return max(0, (later.max() ?? warm) - warm)
        }
    }

    public let binaries: Binaries
    public let folder: String
    public let settings: Settings

    public init(binaries: Binaries, folder: String, settings: Settings) {
        self.binaries = binaries
        self.folder = folder
        self.settings = settings
    }

    /// Runs the phases; throws a `ReliabilityError` when a request fails or
    /// the memory grows past the limit over the soak.
    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        Signals.ignoreBrokenPipe()
        DescriptorLimit.raise(to: settings.connections + settings.clients + 64)
        let started = MonotonicInstant.now()
        let daemon = try SandboxedDaemon.startIdle(binaries, folder: folder)
        defer { daemon.server.stop() }
        let pid = daemon.server.child.pid
        func anonymous() throws -> Int {
            guard let kilobytes = ResidentMemory.anonymousKilobytes(of: pid) else { throw ReliabilityError("this system does not tell a process's anonymous memory") }
            return kilobytes
        }
        var report = Report()
        report.idle = try anonymous()

        progress("\(settings.jobs) jobs into the store ...")
        let firstID = try submitJobs(daemon.socket)
        report.jobs = settings.jobs
        report.afterJobs = try anonymous()

        progress("\(settings.connections) connections at once ...")
        var open: [LineClient] = []
        for _ in 0..<settings.connections { open.append(try LineClient(path: daemon.socket)) }
        for client in open { try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#) }
        for client in open { _ = try client.readLine(timeout: .seconds(60)) }
        for client in open { client.close() }
        open = []
        report.connections = settings.connections
        report.afterConnections = try anonymous()

        progress("\(settings.requests) requests on \(settings.clients) connections ...")
        report.soak = try soak(daemon.socket, jobID: firstID, reading: anonymous)
        report.requests = settings.requests
        report.elapsed = started.elapsed
        guard report.growth <= settings.growthLimitKilobytes else {
            throw ReliabilityError(
                "the daemon's anonymous memory grew \(report.growth) KiB over the soak after its first tenth (from \(report.warm) KiB), "
                    + "over the \(settings.growthLimitKilobytes) KiB allowed: readings \(report.soak.map(\.kilobytes))"
            )
        }
        return report
    }

    /// Submits the jobs over a few connections, pipelined; the first job's id.
    private func submitJobs(_ socket: String) throws -> String {
        let writers = max(1, min(8, settings.jobs / 100))
        let failures = ThreadCondition<[String]>([])
        let firstID = ThreadCondition<String?>(nil)
        let jobs = settings.jobs
        let threads = try (0..<writers).map { writer in
            try OSThread.spawn(name: "growth-writer") {
                do {
                    let client = try LineClient(path: socket)
                    defer { client.close() }
                    var indices = Array(stride(from: writer, to: jobs, by: writers))[...]
                    while !indices.isEmpty {
                        let chunk = indices.prefix(64)
                        indices = indices.dropFirst(chunk.count)
                        try client.send(chunk.map { #"{"jsonrpc":"2.0","id":\#($0),"method":"job.submit","params":{"prompt":"growth \#($0)"}}"# + "\n" }.joined())
                        for _ in chunk {
                            let reply = try JSONParser.parse(Array(try client.readLine(timeout: .seconds(120)).utf8))
                            guard let id = reply["result"]?["id"]?.stringValue else { throw ReliabilityError("job.submit: \(reply)") }
                            if reply["id"]?.intValue == 0 { firstID.update { $0 = id } }
                        }
                    }
                } catch {
                    failures.update { $0.append("\(error)") }
                }
            }
        }
        for thread in threads { thread.join() }
        if let failure = failures.read({ $0.first }) { throw ReliabilityError(failure) }
        guard let id = firstID.read({ $0 }) else { throw ReliabilityError("job.submit gave the first job no id") }
        return id
    }

    /// The soak: each client thread sends its share of the requests in
    /// pipelined rounds; the memory is read as the count passes each
    /// sample's mark.
    private func soak(_ socket: String, jobID: String, reading: () throws -> Int) throws -> [(requests: Int, kilobytes: Int)] {
        let requests = [
            #"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"job.get","params":{"id":"\#(jobID)"}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"job.list","params":{"limit":5}}"#,
        ]
        let answered = ThreadCondition(0)
        let failures = ThreadCondition<[String]>([])
        let total = settings.requests, clients = settings.clients, depth = settings.pipelineDepth, perConnection = settings.requestsPerConnection
        let threads = try (0..<clients).map { clientIndex in
            try OSThread.spawn(name: "growth-soak") {
                let share = total / clients + (clientIndex < total % clients ? 1 : 0)
                var done = 0
                do {
                    var client = try LineClient(path: socket)
                    var onThisConnection = 0
                    defer { client.close() }
                    while done < share {
                        let round = min(depth, share - done)
                        var text = ""
                        for index in 0..<round { text += requests[(done + index) % requests.count] + "\n" }
                        try client.send(text)
                        for _ in 0..<round {
                            let line = try client.readLine(timeout: .seconds(60))
                            guard line.contains("\"result\"") else {
                                throw ReliabilityError("an error answer: \(line.prefix(300))")
                            }
                        }
                        done += round
                        onThisConnection += round
                        answered.update { $0 += round }
                        if onThisConnection >= perConnection {
                            client.close()
                            client = try LineClient(path: socket)
                            onThisConnection = 0
                        }
                    }
                } catch {
                    failures.update { $0.append("\(error)") }
                    answered.update { $0 = total }
                }
            }
        }
        var readings: [(requests: Int, kilobytes: Int)] = []
        let samples = max(1, settings.samples)
        for sample in 1...samples {
            let mark = total * sample / samples
            guard answered.wait(timeout: .seconds(600), until: { $0 >= mark }) else { throw ReliabilityError("the soak stalled at \(answered.read { $0 }) requests") }
            readings.append((answered.read { $0 }, try reading()))
        }
        for thread in threads { thread.join() }
        if let failure = failures.read({ $0.first }) { throw ReliabilityError(failure) }
        return readings
    }
}
