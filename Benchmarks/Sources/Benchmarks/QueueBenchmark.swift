import Harness
import HTTPClient
import JobStore
import JSON
import Posix
import VisionCraftAPI

/// The main job's benchmark: durable submits per second (against SQLite
/// committing one insert at a time, the floor of durability on this disk),
/// images per second through the daemon (against the same work done by the
/// client library directly, and by a plain Python loop of one request per
/// job), memory idle and after the jobs, and a daemon holding 100,000 jobs
/// (start-up, `job.list` latency).
public struct QueueBenchmark {
    public struct Settings: Sendable {
        public var duration: Duration = .seconds(3)
        public var clientCounts = [1, 16]
        /// Jobs of five images for the end-to-end run.
        public var jobs = 200
        public var historySize = 100_000
        public init() {}
    }

    public let settings: Settings
    let context: BenchmarkContext

    public init(settings: Settings, context: BenchmarkContext) {
        self.settings = settings
        self.context = context
    }

    public func run() throws -> String {
        let scratch = try TemporaryDirectory(prefix: "vcbench-")
        defer { scratch.remove() }
        let folder = scratch.path
        let python = try Binaries.peer("python3", package: "python3")
        let loadgen = LoadGenerator(executable: try context.binaries.ours("visioncraft-loadgen"), duration: settings.duration)
        var report: [String] = []

        // 1. Durable submits: no key and no upstream, so nothing runs but the store.
        let closedPort = try TCPSocket.freePort()
        let idle = try SandboxedDaemon.start(context.binaries, folder: "\(folder)/submits", arguments: ["--upstream", "http://127.0.0.1:\(closedPort)"])
        let idleKilobytes = idle.server.residentKilobytes()
        let idlePrivate = idle.server.privateKilobytes()
        var submits = TextTable(header: [
            "durable submits (job.submit, fsync per commit)", "per second", "p50", "p99", "vs one insert per commit", "vs a job's rows per commit",
        ])
        context.print("  sqlite3, one insert per commit (python3) ...")
        let floor = try pythonFloor(python, path: "\(folder)/floor.sqlite3")
        context.print("  sqlite3, a job's rows per commit in the daemon's schema (python3) ...")
        let jobRowsFloor = try pythonFloor(python, path: "\(folder)/job-rows.sqlite3", schemaOf: "\(folder)/submits/state/visioncraft/jobs.sqlite3")
        let request = #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"a lighthouse at dusk","image_count":5}}"#
        for clients in settings.clientCounts {
            context.print("  job.submit, \(clients) client(s) ...")
            let result = try loadgen.run(.unix(path: idle.socket, line: request), connections: clients)
            submits.append([
                "visioncraftd, \(clients) client\(clients == 1 ? "" : "s")", Format.rate(result.requestsPerSecond),
                Format.micros(result.p50Microseconds), Format.micros(result.p99Microseconds), Format.ratio(result.requestsPerSecond / floor),
                Format.ratio(result.requestsPerSecond / jobRowsFloor),
            ])
            if clients == 1 {
                context.findings.record(
                    suite: "queue", figure: "durable job.submit, 1 client", ours: Format.rate(result.requestsPerSecond),
                    peer: "sqlite3, a job's rows per commit: \(Format.rate(jobRowsFloor))", advantage: result.requestsPerSecond / jobRowsFloor,
                    whyBehind: "the floor writes the same rows from one thread; a submit also reads and checks its request on the "
                        + "socket loop, wakes the store thread (tens of microseconds here), and answers from there"
                )
            }
            context.findings.record(
                suite: "queue", figure: "durable job.submit, \(clients) client\(clients == 1 ? "" : "s")", ours: Format.rate(result.requestsPerSecond),
                peer: "sqlite3, one insert per commit: \(Format.rate(floor))", advantage: result.requestsPerSecond / floor,
                whyBehind: clients == 1
                    ? "one client has nobody to share a commit with; each submit writes a job row, its images and four index "
                        + "entries (seven pages to the log, one fsync) where the floor writes one row, and goes from the socket "
                        + "loop to the store thread, a wake-up of tens of microseconds here"
                    : "concurrent submits share commits, but each still writes its rows and index entries, is checked on a "
                        + "socket loop and answered from the one store thread, on a 2-core machine"
            )
        }
        submits.append(["sqlite3 (python3), one insert per commit", Format.rate(floor), "", "", "", ""])
        submits.append(["sqlite3 (python3), a job's rows per commit", Format.rate(jobRowsFloor), "", "", "", ""])
        idle.server.stop()
        report.append(
            submits.render()
                + "\n(each submit is acknowledged only after its commit is on disk; concurrent submits share a commit. A job's rows: "
                + "the daemon's tables and indexes, one job and its 5 image rows a commit)"
        )

        // 2. Images through the daemon, and the same work without it.
        let images = settings.jobs * 5
        // The emulator runs on its own, so that the daemon's memory is its own.
        let (emulator, emulatorPort) = try AnnouncingProcess.start(
            name: "visioncraft-emulator", executable: try context.binaries.ours("visioncraft-emulator"), arguments: ["--port", "0"]
        )
        defer { emulator.stop() }
        context.print("  \(settings.jobs) jobs of 5 images through visioncraftd ...")
        let daemon = try SandboxedDaemon.start(
            context.binaries, folder: "\(folder)/e2e",
            arguments: ["--upstream", "http://127.0.0.1:\(emulatorPort)", "--requests-per-minute", "0", "--max-in-flight", "4"],
            environment: Sandbox.environment(home: "\(folder)/e2e", extra: ["VISIONCRAFT_API_KEY": "bench-key"])
        )
        defer { daemon.server.stop() }
        let beforeKilobytes = daemon.server.residentKilobytes()
        let beforePrivate = daemon.server.privateKilobytes()
        let throughDaemon = try submitAndWait(daemon.socket, jobs: settings.jobs)
        let afterKilobytes = daemon.server.residentKilobytes()
        let afterPrivate = daemon.server.privateKilobytes()
        context.print("  the same images with VisionCraftClient directly ...")
        let direct = try directClient("http://127.0.0.1:\(emulatorPort)", jobs: settings.jobs, folder: "\(folder)/direct")
        context.print("  the same images with a plain Python loop ...")
        let plain = try pythonLoop(python, port: emulatorPort, jobs: settings.jobs, folder: "\(folder)/python")
        var endToEnd = TextTable(header: ["\(images) images (emulator, no latency)", "seconds", "images/s", "ms per image", "daemon vs this"])
        endToEnd.append(["visioncraftd (queue, 4 in flight, stamped, fsynced)", Format.fixed(throughDaemon.seconds, 2), Format.rate(Double(images) / throughDaemon.seconds), Format.fixed(throughDaemon.seconds * 1000 / Double(images), 3), ""])
        endToEnd.append(["VisionCraftClient directly (4 in flight, fsynced)", Format.fixed(direct.seconds, 2), Format.rate(Double(images) / direct.seconds), Format.fixed(direct.seconds * 1000 / Double(images), 3), Format.ratio(direct.seconds / throughDaemon.seconds)])
        endToEnd.append(["\(plain.name), one job at a time", Format.fixed(plain.seconds, 2), Format.rate(Double(images) / plain.seconds), Format.fixed(plain.seconds * 1000 / Double(images), 3), Format.ratio(plain.seconds / throughDaemon.seconds)])
        context.findings.record(
            suite: "queue", figure: "\(images) images end to end (emulator)", ours: "\(Format.fixed(throughDaemon.seconds, 2)) s",
            peer: "VisionCraftClient alone, no daemon: \(Format.fixed(direct.seconds, 2)) s", advantage: direct.seconds / throughDaemon.seconds,
            whyBehind: "the daemon commits every state change of every job durably (fsync), publishes events and stamps the "
                + "parameters into each PNG; the library alone only writes the files"
        )
        context.findings.record(
            suite: "queue", figure: "\(images) images end to end (emulator)", ours: "\(Format.fixed(throughDaemon.seconds, 2)) s",
            peer: "\(plain.name), one job at a time: \(Format.fixed(plain.seconds, 2)) s", advantage: plain.seconds / throughDaemon.seconds,
            whyBehind: "the Python loop keeps nothing durable: no queue, no retries, no stamped parameters"
        )
        let overhead = (throughDaemon.seconds - direct.seconds) * 1000 / Double(images)
        report.append(endToEnd.render() + "\n(the daemon adds \(Format.fixed(overhead, 3)) ms per image over the library alone: durable state changes, events, stamping)")

        // 3. A daemon holding 100,000 jobs.
        context.print("  \(settings.historySize) jobs in the store ...")
        let history = "\(folder)/history"
        let newest = try Self.fillStore("\(history)/state/visioncraft/jobs.sqlite3", adding: settings.historySize)
        let big = try SandboxedDaemon.start(context.binaries, folder: history, arguments: ["--upstream", "http://127.0.0.1:\(closedPort)"])
        defer { big.server.stop() }
        var large = TextTable(header: ["\(settings.historySize) jobs in the store", "p50", "p99", "target"])
        large.append(["start-up to ready", Format.millis(big.startup.seconds * 1000), "", "under 1 s"])
        for (label, line) in [
            ("job.list, newest 50", #"{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"limit":50}}"#),
            ("job.list, queued, 50", #"{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"state":"queued","limit":50}}"#),
            ("daemon.status", #"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#),
            // A short id costs a scan of the ids (the ending), against the
            // primary-key lookup of a whole one.
            ("job.get, whole id", #"{"jsonrpc":"2.0","id":1,"method":"job.get","params":{"id":"\#(newest)"}}"#),
            ("job.get, last 8 characters", #"{"jsonrpc":"2.0","id":1,"method":"job.get","params":{"id":"\#(newest.suffix(8).lowercased())"}}"#),
            ("job.get, last", #"{"jsonrpc":"2.0","id":1,"method":"job.get","params":{"id":"last"}}"#),
        ] {
            context.print("  \(label) ...")
            let result = try loadgen.run(.unix(path: big.socket, line: line), connections: 1)
            large.append([label, Format.micros(result.p50Microseconds), Format.micros(result.p99Microseconds), label.hasPrefix("job.list") ? "p99 under 5 ms" : ""])
        }
        func megabytes(_ kilobytes: Int?) -> String { kilobytes.map { Format.megabytes(kilobytes: $0) } ?? "-" }
        var memory = TextTable(header: ["visioncraftd memory", "resident (RSS)", "private (USS)", "target (RSS)"])
        memory.append(["idle", megabytes(idleKilobytes), megabytes(idlePrivate), "under 16 MB"])
        memory.append(["idle, with a key and an upstream", megabytes(beforeKilobytes), megabytes(beforePrivate), "under 16 MB"])
        memory.append(["after \(settings.jobs) jobs (\(images) images)", megabytes(afterKilobytes), megabytes(afterPrivate), "under 24 MB"])
        memory.append(["holding \(settings.historySize) jobs, after the lists", megabytes(big.server.residentKilobytes()), megabytes(big.server.privateKilobytes()), ""])
        report.append(large.render())
        report.append(memory.render())
        return report.joined(separator: "\n\n")
    }

    // MARK: Private

    /// Python's sqlite3 committing one transaction after another, WAL and
    /// synchronous FULL like the daemon: commits per second. Each writes one
    /// row, or with `schemaOf` (a daemon's database) a queued job of 5 images
    /// in that database's tables and indexes, as a submit writes them.
    private func pythonFloor(_ python: String, path: String, schemaOf daemonDatabase: String? = nil) throws -> Double {
        let script = """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
            if len(sys.argv) > 3:
                source = sqlite3.connect("file:%s?mode=ro" % sys.argv[3], uri=True)
                for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('table', 'index') "
                                             "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'prompt_search%'"):
                    db.execute(sql)
                params = '{"prompt":"a lighthouse at dusk","backend":"visioncraft","model":"anything_V5","image_count":5,"steps":30}'
                def write(n):
                    job = "01M8Y%021d" % n
                    db.execute("INSERT INTO jobs (id, state, priority, params, prompt, output_dir, image_count, backend, created_at, updated_at) "
                               "VALUES (?, 'queued', 0, ?, 'a lighthouse at dusk', '/tmp', 5, 'visioncraft', 1, 1)", (job, params))
                    for index in range(5):
                        db.execute("INSERT INTO images (job_id, idx, request, state) VALUES (?, ?, ?, 'pending')", (job, index, index))
            else:
                db.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, params TEXT)")
                def write(n):
                    db.execute("INSERT INTO jobs (params) VALUES (?)", ('{"prompt":"a lighthouse at dusk"}',))
            end = time.monotonic() + float(sys.argv[2]); count = 0; start = time.monotonic()
            while time.monotonic() < end:
                db.execute("BEGIN IMMEDIATE"); write(count); db.execute("COMMIT")
                count += 1
            print(count / (time.monotonic() - start))
            """
        var arguments = ["-c", script, path, Format.fixed(settings.duration.seconds, 3)]
        if let daemonDatabase {
            guard (try? FileSystem.status(daemonDatabase)).flatMap({ $0 }) != nil else { throw BenchmarkError("no daemon database at \(daemonDatabase) to copy the schema of") }
            arguments.append(daemonDatabase)
        }
        let text = try ProcessOutputCapture.run(python, arguments)
        guard let rate = Double(text.filter { !$0.isWhitespace }) else { throw BenchmarkError("the sqlite3 floor printed '\(text)'") }
        return rate
    }

    /// Submits `jobs` jobs of 5 images over one connection, then waits for
    /// each; returns the time from the first submit to the last image saved.
    private func submitAndWait(_ socket: String, jobs: Int) throws -> Duration {
        let client = try LineClient(path: socket)
        defer { client.close() }
        // job.wait may take its 600 s; a reply later than that is a hang.
        let replyWithin = Duration.seconds(660)
        let started = MonotonicInstant.now()
        var ids: [String] = []
        for index in 0..<jobs {
            try client.sendLine(#"{"jsonrpc":"2.0","id":\#(index),"method":"job.submit","params":{"prompt":"bench \#(index)","image_count":5}}"#)
            let reply = try JSONParser.parse(Array(try client.readLine(timeout: replyWithin).utf8))
            guard let id = reply["result"]?["id"]?.stringValue else { throw BenchmarkError("job.submit failed: \(reply)") }
            ids.append(id)
        }
        for id in ids {
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":600}}"#)
            let reply = try JSONParser.parse(Array(try client.readLine(timeout: replyWithin).utf8))
            guard reply["result"]?["job"]?["state"] == "succeeded" else { throw BenchmarkError("a job did not succeed: \(reply)") }
        }
        return started.elapsed
    }

    /// The library alone: 4 tasks generating 5 images at a time, fetching
    /// and writing each (fsync, rename).
    private func directClient(_ baseURL: String, jobs: Int, folder: String) throws -> Duration {
        try FileSystem.makeDirectories(folder, permissions: 0o755)
        return try BlockingTask.run {
            let http = try HTTPClient()
            defer { http.shutdown() }
            let client = VisionCraftClient(configuration: .init(baseURL: baseURL), http: http)
            let started = MonotonicInstant.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for job in stride(from: worker, to: jobs, by: 4) {
                            let urls = try await client.generate(
                                GenerationParameters(prompt: "bench \(job)", model: "anything_V5", sampler: "Euler", imageCount: 5), key: "bench"
                            )
                            for (index, url) in urls.enumerated() {
                                let image = try await client.fetchImage(url)
                                try FileSystem.writeFileAtomically("\(folder)/\(job)-\(index).\(image.format.fileExtension)", image.bytes, permissions: 0o644)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            return started.elapsed
        }
    }

    /// The seed's approach: one `requests.post` per job, then each image
    /// downloaded with `requests.get` and written, one job after another (with
    /// `http.client` where python3-requests is not installed). Returns which
    /// and the seconds.
    private func pythonLoop(_ python: String, port: UInt16, jobs: Int, folder: String) throws -> (name: String, seconds: Double) {
        try FileSystem.makeDirectories(folder, permissions: 0o755)
        let script = """
            import json, sys, time
            port, jobs, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
            base = "http://127.0.0.1:%d" % port
            try:
                import requests
                def generate(body): return requests.post(base + "/generate", json=body).json()["images"]
                def download(url): return requests.get(url).content
                name = "python3 requests.post"
            except ImportError:
                import http.client, urllib.parse
                api = http.client.HTTPConnection("127.0.0.1", port)
                def generate(body):
                    api.request("POST", "/generate", json.dumps(body), {"Content-Type": "application/json"})
                    return json.loads(api.getresponse().read())["images"]
                def download(url):
                    api.request("GET", urllib.parse.urlsplit(url).path)
                    return api.getresponse().read()
                name = "python3 http.client (no python3-requests)"
            start = time.monotonic()
            for job in range(jobs):
                body = {"model": "anything_V5", "sampler": "Euler", "prompt": "bench %d" % job, "image_count": 5, "token": "bench"}
                for index, url in enumerate(generate(body)):
                    with open("%s/%d-%d.png" % (folder, job, index), "wb") as f:
                        f.write(download(url))
            print(name)
            print(time.monotonic() - start)
            """
        let lines = try ProcessOutputCapture.run(python, ["-c", script, String(port), String(jobs), folder]).split(separator: "\n")
        guard lines.count == 2, let seconds = Double(lines[1]) else { throw BenchmarkError("the Python loop printed '\(lines)'") }
        return (String(lines[0]), seconds)
    }

    /// Adds `count` queued jobs of one image each to the store at `path`
    /// (created if need be), prompts indexed as a daemon leaves them.
    ///
    /// - Returns: the newest job's id.
    @discardableResult
    static func fillStore(_ path: String, adding count: Int) throws -> String {
        try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), permissions: 0o700)
        let store = try JobStore(path: path)
        let ids = JobIDGenerator()
        var made = 0
        while made < count {
            try store.connection.transaction {
                for _ in 0..<min(5000, count - made) {
                    let new = NewJob(
                        id: ids.next(), parameters: #"{"prompt":"a lighthouse at dusk","image_count":1}"#, prompt: "a lighthouse at dusk \(made)",
                        imageCount: 1, createdAt: WallClock.now().milliseconds
                    )
                    try store.insertRows(new)
                    made += 1
                }
            }
        }
        // As a daemon would have left it: every prompt indexed.
        try store.connection.transaction { try store.indexNewPrompts() }
        return try store.newestJobID() ?? ""
    }
}
