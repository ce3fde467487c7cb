import Harness
import JSON
import JSONRPC
import Posix

/// What the daemon costs per image in front of each kind of backend, at the
/// emulator's zero latency: jobs of one image submitted and waited for over
/// one connection (each durable: committed, generated, saved with fsync and
/// rename), beside a direct client of that API doing the same requests
/// (Python's http.client, decoding the image and writing it).
public struct BackendsBenchmark {
    public struct Settings: Sendable {
        /// Images asked of each backend, one a job.
        public var images = 100
        public init() {}
    }

    public let settings: Settings
    let context: BenchmarkContext

    public init(settings: Settings, context: BenchmarkContext) {
        self.settings = settings
        self.context = context
    }

    /// One kind of backend: the emulator's API, and the request a direct
    /// client sends to it for one image.
    struct Kind {
        let api: String
        let path: String
        let body: String
    }

    static let kinds = [
        Kind(api: "a1111", path: "/sdapi/v1/txt2img", body: #"{"prompt":"a lighthouse at dusk","steps":20,"width":512,"height":512}"#),
        Kind(api: "openai", path: "/v1/images/generations", body: #"{"prompt":"a lighthouse at dusk","model":"gpt-image-1","size":"1024x1024"}"#),
    ]

    /// Runs each kind and returns the report's table.
    public func run() throws -> String {
        let scratch = try TemporaryDirectory(prefix: "vcbench-backends-")
        defer { scratch.remove() }
        let python = try Binaries.peer("python3", package: "python3")
        var table = TextTable(header: ["one image a job, in order", "through visioncraftd", "direct client (Python)", "daemon vs direct"])
        for kind in Self.kinds {
            let (emulator, port) = try AnnouncingProcess.start(
                name: "visioncraft-emulator", executable: try context.binaries.ours("visioncraft-emulator"), arguments: ["--api", kind.api, "--port", "0"]
            )
            defer { emulator.stop() }
            let folder = "\(scratch.path)/\(kind.api)"
            try FileSystem.makeDirectories(folder, permissions: 0o700)
            let config = "\(folder)/config.toml"
            try FileSystem.writeFileAtomically(config, Array("[backends.\(kind.api)]\nkind = \"\(kind.api)\"\nurl = \"http://127.0.0.1:\(port)\"\n".utf8))
            context.print("  \(kind.api): \(settings.images) images through visioncraftd ...")
            let daemon = try SandboxedDaemon.start(context.binaries, folder: "\(folder)/daemon", arguments: ["--config", config, "--requests-per-minute", "0"])
            defer { daemon.server.stop() }
            let throughDaemon = try submitAndWait(daemon.socket, images: settings.images)
            context.print("  \(kind.api): \(settings.images) images with Python's http.client ...")
            let direct = try directClient(python, port: port, kind: kind, folder: "\(folder)/direct")
            let perImage = (daemon: throughDaemon.seconds / Double(settings.images), direct: direct / Double(settings.images))
            context.findings.record(
                suite: "backends", figure: "\(kind.api): one image a job, in order", ours: Format.millis(perImage.daemon * 1000) + " an image",
                peer: "Python http.client: \(Format.millis(perImage.direct * 1000))", advantage: perImage.direct / perImage.daemon,
                whyBehind: "each job is committed before its request is sent and the image is fsynced and renamed before the job "
                    + "succeeds; the direct client keeps nothing"
            )
            table.append([
                "\(kind.api) (\(kind.path))", Format.millis(perImage.daemon * 1000), Format.millis(perImage.direct * 1000),
                Format.ratio(perImage.direct / perImage.daemon),
            ])
        }
        return table.render() + "\n(per image; ratio: direct time / daemon time, above 1.00x means the daemon is faster; the goal is at most 1.5x slower)"
    }

    /// Submits and waits for `images` jobs of one image each, one after the other.
    private func submitAndWait(_ socket: String, images: Int) throws -> Duration {
        let client = try LineClient(path: socket)
        defer { client.close() }
        let replyWithin = Duration.seconds(120)
        let started = MonotonicInstant.now()
        for index in 0..<images {
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"bench \#(index)"}}"#)
            let submitted = try JSONParser.parse(Array(try client.readLine(timeout: replyWithin).utf8))
            guard let id = submitted["result"]?["id"]?.stringValue else { throw BenchmarkError("job.submit failed: \(submitted)") }
            try client.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":100}}"#)
            let waited = try JSONParser.parse(Array(try client.readLine(timeout: replyWithin).utf8))
            guard waited["result"]?["job"]?["state"] == "succeeded" else { throw BenchmarkError("a job did not succeed: \(waited)") }
        }
        return started.elapsed
    }

    /// The same requests from Python's http.client over one connection,
    /// each image decoded from base64 and written; returns the seconds.
    private func directClient(_ python: String, port: UInt16, kind: Kind, folder: String) throws -> Double {
        try FileSystem.makeDirectories(folder, permissions: 0o755)
        let text = try ProcessOutputCapture.run(python, ["-c", Self.pythonClient, String(port), kind.path, kind.body, String(settings.images), folder])
        guard let seconds = Double(text.filter { !$0.isWhitespace }) else { throw BenchmarkError("the Python client printed '\(text)'") }
        return seconds
    }

    static let pythonClient = #"""
import base64, http.client, json, sys, time
port, path, body, count, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
connection = http.client.HTTPConnection("127.0.0.1", port)
started = time.monotonic()
for index in range(count):
    connection.request("POST", path, body, {"Content-Type": "application/json"})
    answer = json.loads(connection.getresponse().read())
    images = answer.get("images") or [entry["b64_json"] for entry in answer["data"]]
    with open(f"{folder}/{index}.png", "wb") as file:
        file.write(base64.b64decode(images[0]))
print(time.monotonic() - started)
"""#
}
