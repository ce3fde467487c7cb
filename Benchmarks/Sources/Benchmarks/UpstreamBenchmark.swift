import Harness
import HTTPClient
import JSON
import Posix
import VisionCraftAPI

/// The upstream benchmark: how many requests the emulator serves (so later
/// benchmarks know it is never their bottleneck), against a plain Python
/// server that gives the same answers, and what a `VisionCraftClient` call
/// costs on top of the C load generator's bare HTTP round trip, with Python's
/// `http.client` beside it.
public struct UpstreamBenchmark {
    public struct Settings: Sendable {
        public var duration: Duration = .seconds(3)
        public var connectionCounts = [1, 8]
        public init() {}
    }

    public let settings: Settings
    let context: BenchmarkContext

    public init(settings: Settings, context: BenchmarkContext) {
        self.settings = settings
        self.context = context
    }

    static let generateBody = #"{"model":"anything_V5","sampler":"Euler","prompt":"a lighthouse at dusk","image_count":1,"token":"bench"}"#

    /// Runs everything and returns the report.
    public func run() throws -> String {
        let scratch = try TemporaryDirectory(prefix: "vcbench-")
        defer { scratch.remove() }
        let folder = scratch.path
        let python = try Binaries.peer("python3", package: "python3")
        let loadgen = LoadGenerator(executable: try context.binaries.ours("visioncraft-loadgen"), duration: settings.duration)

        let (emulator, emulatorPort) = try AnnouncingProcess.start(
            name: "visioncraft-emulator", executable: try context.binaries.ours("visioncraft-emulator"), arguments: ["--port", "0"]
        )
        defer { emulator.stop() }
        let emulatorURL = "http://127.0.0.1:\(emulatorPort)"

        // One image from the emulator: the bytes the Python server hands out too.
        let imagePath = try fetchImage(emulatorURL, to: "\(folder)/image")
        let imageTarget = String(imagePath.url.dropFirst(emulatorURL.count))
        let (peer, peerPort) = try AnnouncingProcess.start(
            name: "python3 http.server", executable: python,
            arguments: ["-c", Self.pythonServer, imagePath.file]
        )
        defer { peer.stop() }

        var throughput = TextTable(header: ["emulator (HTTP/1.1 keep-alive)", "emulator", "Python", "emulator vs Python", "emulator p50", "Python p50"])
        let cases: [(String, LoadGenerator.Target, LoadGenerator.Target)] = [
            ("POST /generate", .http(port: emulatorPort, path: "/generate", body: Self.generateBody),
             .http(port: peerPort, path: "/generate", body: Self.generateBody)),
            ("GET a 512x512 PNG (\(imagePath.bytes / 1024) KiB)", .httpGet(port: emulatorPort, path: imageTarget),
             .httpGet(port: peerPort, path: "/image.png")),
        ]
        var floorGenerate: LoadResult?
        for (label, ours, theirs) in cases {
            for connections in settings.connectionCounts {
                context.print("  \(label), \(connections) connection(s) ...")
                let mine = try loadgen.run(ours, connections: connections)
                let python = try loadgen.run(theirs, connections: connections)
                if label.hasPrefix("POST"), connections == 1 { floorGenerate = mine }
                context.findings.record(
                    suite: "emulator", figure: "\(label), \(connections) conn", ours: Format.rate(mine.requestsPerSecond),
                    peer: "Python http.server: \(Format.rate(python.requestsPerSecond))", advantage: mine.requestsPerSecond / python.requestsPerSecond,
                    whyBehind: "the emulator validates each body the way the service does and draws a PNG per image; the Python "
                        + "peer answers a fixed body"
                )
                throughput.append([
                    "\(label), \(connections) conn", Format.rate(mine.requestsPerSecond), Format.rate(python.requestsPerSecond),
                    Format.ratio(mine.requestsPerSecond / python.requestsPerSecond),
                    Format.micros(mine.p50Microseconds), Format.micros(python.p50Microseconds),
                ])
            }
        }

        context.print("  libcurl easy handle, sequential ...")
        let easy = try CurlEasyLoop.measure(url: emulatorURL + "/generate", body: Self.generateBody, duration: settings.duration)
        let curlEasy = Self.figures(easy.latencies, seconds: easy.seconds)
        context.print("  VisionCraftClient.generate, sequential ...")
        let client = try measureClient(emulatorURL)
        context.print("  Python http.client, sequential ...")
        let pythonClient = try measurePythonClient(python, port: emulatorPort)
        var overhead = TextTable(header: ["one POST /generate at a time, to the emulator", "p50", "p99", "calls/s", "over the C floor (p50)"])
        if let floor = floorGenerate {
            overhead.append(["C load generator (floor)", Format.micros(floor.p50Microseconds), Format.micros(floor.p99Microseconds), Format.rate(floor.requestsPerSecond), ""])
            let rungs = [
                ("libcurl, one easy handle, blocking", curlEasy), ("VisionCraftClient (libcurl multi + async)", client),
                ("Python http.client", pythonClient),
            ]
            context.findings.record(
                suite: "upstream client", figure: "one POST /generate at a time, p50", ours: Format.micros(client.p50),
                peer: "Python http.client: \(Format.micros(pythonClient.p50))", advantage: pythonClient.p50 / client.p50,
                whyBehind: "each call is handed to libcurl's own thread and back (two thread wake-ups), with a fresh easy "
                    + "handle, and the answer is parsed and classified; Python's loop reads the bytes on the calling thread"
            )
            for (name, figures) in rungs {
                overhead.append([
                    name, Format.micros(figures.p50), Format.micros(figures.p99), Format.rate(figures.perSecond),
                    "+" + Format.micros(figures.p50 - floor.p50Microseconds),
                ])
            }
        }
        return throughput.render() + "\n(ratio: emulator/Python requests per second; above 1.00x means the emulator serves more)\n\n"
            + overhead.render() + "\n(VisionCraftClient also builds the JSON body, parses the answer and classifies it, and hands each call to libcurl's thread and back)"
    }

    // MARK: Private

    private struct CallFigures {
        var p50: Double
        var p99: Double
        var perSecond: Double
    }

    /// Generates one image on the emulator and downloads it.
    private func fetchImage(_ baseURL: String, to path: String) throws -> (url: String, file: String, bytes: Int) {
        try BlockingTask.run {
            let http = try HTTPClient()
            defer { http.shutdown() }
            let client = VisionCraftClient(configuration: .init(baseURL: baseURL), http: http)
            let urls = try await client.generate(GenerationParameters(prompt: "a lighthouse at dusk", model: "anything_V5", sampler: "Euler"), key: "bench")
            let image = try await client.fetchImage(urls[0])
            let file = "\(path).\(image.format.fileExtension)"
            try FileSystem.writeFileAtomically(file, image.bytes, permissions: 0o644)
            return (urls[0], file, image.bytes.count)
        }
    }

    /// Sequential `generate` calls for the set duration (after a warm-up).
    private func measureClient(_ baseURL: String) throws -> CallFigures {
        let duration = settings.duration
        return try BlockingTask.run {
            let http = try HTTPClient()
            defer { http.shutdown() }
            let client = VisionCraftClient(configuration: .init(baseURL: baseURL), http: http)
            let parameters = GenerationParameters(prompt: "a lighthouse at dusk", model: "anything_V5", sampler: "Euler")
            let warmup = MonotonicInstant.now()
            while warmup.elapsed < .milliseconds(500) { _ = try await client.generate(parameters, key: "bench") }
            var latencies: [Double] = []
            let start = MonotonicInstant.now()
            while start.elapsed < duration {
                let call = MonotonicInstant.now()
                _ = try await client.generate(parameters, key: "bench")
                latencies.append(Double(call.elapsed.nanoseconds) / 1000)
            }
            return Self.figures(latencies, seconds: start.elapsed.seconds)
        }
    }

    /// The same loop in Python: one keep-alive `http.client` connection.
    private func measurePythonClient(_ python: String, port: UInt16) throws -> CallFigures {
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(
            executable: python,
            arguments: ["-c", Self.pythonClient, String(port), Self.generateBody, Format.fixed(settings.duration.seconds, 3)]
        )
        options.standardOutput = .descriptor(output.write)
        let child = try ChildProcess.spawn(options)
        try? output.write.close()
        let text = String(decoding: try output.read.readAll(), as: UTF8.self)
        try? output.read.close()
        guard try child.wait() == .exited(0), let line = text.split(separator: "\n").last,
            let json = try? JSONParser.parse(String(line)), let p50 = json["p50_us"]?.doubleValue,
            let p99 = json["p99_us"]?.doubleValue, let rate = json["rps"]?.doubleValue
        else {
            throw BenchmarkError("the Python client failed: \(text)")
        }
        return CallFigures(p50: p50, p99: p99, perSecond: rate)
    }

    private static func figures(_ latencies: [Double], seconds: Double) -> CallFigures {
        let sorted = latencies.sorted()
        func percentile(_ fraction: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[Int(fraction * Double(sorted.count - 1) + 0.5)]
        }
        return CallFigures(p50: percentile(0.5), p99: percentile(0.99), perSecond: Double(sorted.count) / seconds)
    }

    /// A plain-Python stand-in for the emulator: the same answers (one
    /// image URL; the PNG from a file), no validation, no pictures drawn.
    static let pythonServer = """
        import http.server, sys
        image = open(sys.argv[1], "rb").read()
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            def answer(self, body, kind):
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                host = "http://%s:%d" % self.server.server_address
                self.answer(('{"images":["%s/image.png"]}' % host).encode(), "application/json")
            def do_GET(self):
                self.answer(image, "image/png")
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
        server.serve_forever()
        """

    /// Sequential keep-alive POSTs with `http.client`; prints one JSON line.
    static let pythonClient = """
        import http.client, json, sys, time
        port, body, duration = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3])
        connection = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/json"}
        def call():
            connection.request("POST", "/generate", body, headers)
            response = connection.getresponse()
            json.loads(response.read())["images"]
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            call()
        latencies = []
        start = time.monotonic()
        while time.monotonic() - start < duration:
            began = time.monotonic()
            call()
            latencies.append((time.monotonic() - began) * 1e6)
        elapsed = time.monotonic() - start
        latencies.sort()
        pick = lambda f: latencies[int(f * (len(latencies) - 1) + 0.5)]
        print(json.dumps({"p50_us": pick(0.5), "p99_us": pick(0.99), "rps": len(latencies) / elapsed}))
        """
}
