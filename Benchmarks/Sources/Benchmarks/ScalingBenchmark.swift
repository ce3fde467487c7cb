import Harness
import Posix
import JobStore

/// How cost grows with load: a daemon holding 1 to 100,000 jobs (start-up,
/// `daemon.status`, `job.list`, `job.submit`, memory), and 1 to 500 clients
/// asking `daemon.status` at once, beside aria2's JSON-RPC and the C floor
/// under the same load. Returns tables and the plot's panels.
public struct ScalingBenchmark {
    public struct Settings: Sendable {
        public var jobCounts = [1, 10, 100, 1_000, 10_000, 100_000]
        public var clientCounts = [1, 10, 50, 100, 250, 500]
        /// Measuring time per point.
        public var duration: Duration = .seconds(1)
        public var includeAria2 = true
        public init() {}
    }

    /// What the run found: tables for the report, panels for the plot.
    public struct Outcome: Sendable {
        public var text: String
        public var chart: SVGLineChart
    }

    public let settings: Settings
    let context: BenchmarkContext

    public init(settings: Settings, context: BenchmarkContext) {
        self.settings = settings
        self.context = context
    }

    public func run() throws -> Outcome {
        let scratch = try TemporaryDirectory(prefix: "vcbench-")
        defer { scratch.remove() }
        let folder = scratch.path
        let loadgen = LoadGenerator(executable: try context.binaries.ours("visioncraft-loadgen"), duration: settings.duration, warmup: .milliseconds(200))
        let jobs = try jobsAxis(folder: "\(folder)/jobs", loadgen: loadgen)
        let clients = try clientsAxis(folder: "\(folder)/clients", loadgen: loadgen)
        let chart = SVGLineChart(panels: [jobs.panel, clients.panel])
        return Outcome(text: jobs.text + "\n\n" + clients.text, chart: chart)
    }

    // MARK: Private

    private static let status = #"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#
    private static let list = #"{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"limit":50}}"#
    private static let submit = #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"a lighthouse at dusk"}}"#

    /// One daemon per store size, the store grown between them.
    private func jobsAxis(folder: String, loadgen: LoadGenerator) throws -> (text: String, panel: SVGLineChart.Panel) {
        let database = "\(folder)/state/visioncraft/jobs.sqlite3"
        let closedPort = try TCPSocket.freePort()
        var table = TextTable(header: ["jobs in the store", "start-up", "daemon.status p99", "job.list 50 p50", "job.submit p50", "RSS"])
        var statusLine: [(x: Double, y: Double)] = []
        var listLine: [(x: Double, y: Double)] = []
        var submitLine: [(x: Double, y: Double)] = []
        var startupLine: [(x: Double, y: Double)] = []
        var held = 0
        var first: (count: Int, list: Double)?
        for count in settings.jobCounts {
            context.print("  \(count) jobs in the store ...")
            // The submits of the last point count too: grow to `count` exactly.
            let have = try held == 0 ? 0 : countJobs(database)
            if count > have { try QueueBenchmark.fillStore(database, adding: count - have) }
            let daemon = try SandboxedDaemon.start(context.binaries, folder: folder, arguments: ["--upstream", "http://127.0.0.1:\(closedPort)"])
            let status = try loadgen.run(.unix(path: daemon.socket, line: Self.status), connections: 1)
            let list = try loadgen.run(.unix(path: daemon.socket, line: Self.list), connections: 1)
            let resident = daemon.server.residentKilobytes()
            var shorter = loadgen
            shorter.duration = min(settings.duration, .milliseconds(500))  // submits grow the store: keep them few
            let submit = try shorter.run(.unix(path: daemon.socket, line: Self.submit), connections: 1)
            daemon.server.stop()
            held = count
            let x = Double(count)
            statusLine.append((x, status.p99Microseconds))
            listLine.append((x, list.p50Microseconds))
            submitLine.append((x, submit.p50Microseconds))
            startupLine.append((x, daemon.startup.seconds * 1_000_000))
            table.append([
                "\(count)", Format.millis(daemon.startup.seconds * 1000), Format.micros(status.p99Microseconds), Format.micros(list.p50Microseconds),
                Format.micros(submit.p50Microseconds), resident.map { Format.megabytes(kilobytes: $0) } ?? "-",
            ])
            // The base: the first store that fills a page of 50.
            if first == nil, count >= 50 { first = (count, list.p50Microseconds) }
            if count == settings.jobCounts.last, let first, first.count < count {
                context.findings.record(
                    suite: "scaling", figure: "job.list 50 p50 with \(count) jobs", ours: Format.micros(list.p50Microseconds),
                    peer: "the same with \(first.count) jobs: \(Format.micros(first.list))", advantage: first.list / list.p50Microseconds,
                    whyBehind: "a page of 50 reads each job's images and labels; with more jobs the B-tree is deeper and less of it is in "
                        + "SQLite's page cache"
                )
            }
        }
        let panel = SVGLineChart.Panel(
            title: "visioncraftd holding 1 to \(settings.jobCounts.last ?? 0) jobs", xLabel: "jobs in the store", yLabel: "microseconds",
            series: [
                .init(name: "daemon.status p99", points: statusLine), .init(name: "job.list (50) p50", points: listLine),
                .init(name: "job.submit p50 (fsync)", points: submitLine), .init(name: "start-up to ready", points: startupLine),
            ]
        )
        return (table.render() + "\n(one client; the jobs are queued, no key: nothing runs. Submits wait for their fsync.)", panel)
    }

    /// 1 to 500 connections asking at once, on visioncraftd, aria2 and the floor.
    private func clientsAxis(folder: String, loadgen: LoadGenerator) throws -> (text: String, panel: SVGLineChart.Panel) {
        var servers: [(name: String, server: ServerProcess, target: LoadGenerator.Target)] = []
        let daemon = try SandboxedDaemon.start(context.binaries, folder: "\(folder)/daemon")
        defer { daemon.server.stop() }
        servers.append(("visioncraftd", daemon.server, .unix(path: daemon.socket, line: Self.status)))
        let floorSocket = "\(folder)/floor.sock"
        var floorOptions = ChildProcess.Options(executable: try context.binaries.ours("visioncraft-bench-floor"), arguments: ["--socket", floorSocket])
        floorOptions.standardOutput = .null
        let floor = try ServerProcess.start(name: "visioncraft-bench-floor", floorOptions) { canConnect(unix: floorSocket) }
        defer { floor.stop() }
        servers.append(("floor (C)", floor, .unix(path: floorSocket, line: Self.status)))
        var aria2: ServerProcess?
        if settings.includeAria2 {
            let aria2c = try Binaries.peer("aria2c", package: "aria2")
            let port = try TCPSocket.freePort()
            let started = try ServerProcess.start(
                name: "aria2c",
                .init(
                    executable: aria2c,
                    arguments: ["--enable-rpc", "--rpc-listen-port=\(port)", "--rpc-listen-all=false", "--no-conf", "--quiet", "--disable-ipv6", "--dir=\(folder)"]
                )
            ) { canConnect(tcp: port) }
            aria2 = started
            servers.append(("aria2", started, .http(port: port, path: "/jsonrpc", body: #"{"jsonrpc":"2.0","id":1,"method":"aria2.getVersion"}"#)))
        }
        defer { aria2?.stop() }

        var header = ["clients at once"]
        for server in servers { header += ["\(server.name) req/s", "\(server.name) p99"] }
        var table = TextTable(header: header)
        var latency: [String: [(x: Double, y: Double)]] = [:]
        var results: [String: [Int: LoadResult]] = [:]
        for count in settings.clientCounts {
            var row = ["\(count)"]
            for server in servers {
                context.print("  \(server.name), \(count) connection(s) ...")
                let result = try loadgen.run(server.target, connections: count)
                row += [Format.rate(result.requestsPerSecond), Format.micros(result.p99Microseconds)]
                latency[server.name, default: []].append((Double(count), result.p99Microseconds))
                results[server.name, default: [:]][count] = result
            }
            table.append(row)
        }
        if let most = settings.clientCounts.last, let ours = results["visioncraftd"]?[most] {
            for peer in servers.dropFirst() {
                guard let theirs = results[peer.name]?[most] else { continue }
                context.findings.record(
                    suite: "scaling", figure: "daemon.status p99, \(most) clients at once", ours: Format.micros(ours.p99Microseconds),
                    peer: "\(peer.name): \(Format.micros(theirs.p99Microseconds))", advantage: theirs.p99Microseconds / ours.p99Microseconds,
                    whyBehind: RPCBenchmark.whyBehind(peer: peer.name, figure: "latency")
                )
            }
        }
        let panel = SVGLineChart.Panel(
            title: "1 to \(settings.clientCounts.last ?? 0) clients at once", xLabel: "connections, each asking in a loop", yLabel: "p99 latency, microseconds",
            series: servers.map { server in
                .init(name: server.name == "visioncraftd" ? "visioncraftd daemon.status" : server.name, points: latency[server.name] ?? [], dashed: server.name != "visioncraftd")
            }
        )
        return (table.render() + "\n(each connection sends its next request when the last is answered; aria2 over HTTP keep-alive on loopback)", panel)
    }

    private func countJobs(_ database: String) throws -> Int {
        let store = try JobStore(path: database)
        return try store.connection.statement("SELECT count(*) FROM jobs").first { $0.int(0) } ?? 0
    }
}
