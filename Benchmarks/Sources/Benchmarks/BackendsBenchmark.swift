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

    /// One kind of backend: the emulator's API, the request a direct
    /// client sends to it for one image (and the Python client that sends
    /// it), and what a job for it names.
    struct Kind {
        let api: String
        let path: String
        let body: String
        var client = pythonClient
        /// More members of job.submit's params, after the prompt.
        var jobParams = ""
    }

    /// The checkpoint the ComfyUI emulator has, which a job names.
    static let comfyUICheckpoint = "dreamshaper_8.safetensors"
    /// ComfyUI's default text-to-image graph (as ComfyUIGraph builds it).
    static let comfyUIGraph = #"""
        {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "dreamshaper_8.safetensors"}},
         "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse at dusk", "clip": ["4", 1]}},
         "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
         "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
         "3": {"class_type": "KSampler", "inputs": {"seed": 0, "steps": 20, "cfg": 8, "sampler_name": "euler", "scheduler": "normal", "denoise": 1,
               "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
         "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
         "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "bench", "images": ["8", 0]}}}
        """#

    static let kinds = [
        Kind(api: "a1111", path: "/sdapi/v1/txt2img", body: #"{"prompt":"a lighthouse at dusk","steps":20,"width":512,"height":512}"#),
        Kind(api: "openai", path: "/v1/images/generations", body: #"{"prompt":"a lighthouse at dusk","model":"gpt-image-1","size":"1024x1024"}"#),
        Kind(api: "comfyui", path: "/prompt", body: comfyUIGraph, client: comfyUIClient, jobParams: #","model":"\#(comfyUICheckpoint)","seed":0"#),
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
            let throughDaemon = try Self.submitAndWait(daemon.socket, images: settings.images, params: kind.jobParams)
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
        let restart = try comfyUIRestart(python, scratch: scratch.path)
        return table.render() + "\n(per image; ratio: direct time / daemon time, above 1.00x means the daemon is faster; the goal is at most 1.5x slower)\n\n"
            + restart
    }

    /// Submits and waits for `images` jobs of one image each, one after the
    /// other over one connection; `params` adds to each job's params.
    static func submitAndWait(_ socket: String, images: Int, params: String) throws -> Duration {
        let client = try LineClient(path: socket)
        defer { client.close() }
        let replyWithin = Duration.seconds(120)
        let started = MonotonicInstant.now()
        for index in 0..<images {
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"bench \#(index)"\#(params)}}"#)
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
        let text = try ProcessOutputCapture.run(python, ["-c", kind.client, String(port), kind.path, kind.body, String(settings.images), folder])
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

    /// ComfyUI's answer to a restart (its queue lives in memory; its own
    /// front end and API examples keep prompt ids in memory too): jobs of
    /// one image queued on ComfyUI, the client SIGKILLed once `killAfter`
    /// are saved and started again. visioncraftd committed each prompt id
    /// before waiting and follows it again; a client holding the ids in
    /// memory sends again every prompt it has no image for, while ComfyUI
    /// still makes the ones it was sent. The figure: prompts ComfyUI was
    /// sent (and made) per job the user asked for.
    private func comfyUIRestart(_ python: String, scratch: String) throws -> String {
        let jobs = 6
        let killAfter = 2
        func emulator() throws -> (ServerProcess, UInt16) {
            // 20 steps of 15 ms: 0.3 s a prompt, long enough to be killed in.
            try AnnouncingProcess.start(
                name: "visioncraft-emulator", executable: try context.binaries.ours("visioncraft-emulator"),
                arguments: ["--api", "comfyui", "--port", "0", "--step-time", "15"]
            )
        }
        func prompts(_ port: UInt16) throws -> Int {
            try EmulatorStatistics.fetch(baseURL: "http://127.0.0.1:\(port)").requests["POST /prompt"]?["200"] ?? 0
        }
        let folder = "\(scratch)/comfyui-restart"
        try FileSystem.makeDirectories("\(folder)/peer", permissions: 0o700)

        context.print("  comfyui: \(jobs) jobs, visioncraftd SIGKILLed after \(killAfter) ...")
        let (ours, oursPort) = try emulator()
        defer { ours.stop() }
        let config = "\(folder)/config.toml"
        try FileSystem.writeFileAtomically(config, Array("[backends.comfy]\nkind = \"comfyui\"\nurl = \"http://127.0.0.1:\(oursPort)\"\n".utf8))
        let arguments = ["--config", config, "--requests-per-minute", "0"]
        let first = try SandboxedDaemon.start(context.binaries, folder: "\(folder)/daemon", arguments: arguments)
        var ids: [String] = []
        do {
            let client = try LineClient(path: first.socket)
            defer { client.close() }
            for index in 0..<jobs {
                try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"restart \#(index)","model":"\#(Self.comfyUICheckpoint)"}}"#)
                let submitted = try JSONParser.parse(Array(try client.readLine(timeout: .seconds(60)).utf8))
                guard let id = submitted["result"]?["id"]?.stringValue else { throw BenchmarkError("job.submit failed: \(submitted)") }
                ids.append(id)
            }
            try waitSucceeded(client, ids[killAfter - 1])
        }
        first.child.send(.kill)
        _ = try? first.child.wait()
        let second = try SandboxedDaemon.start(context.binaries, folder: "\(folder)/daemon", arguments: arguments)
        defer { second.server.stop() }
        let client = try LineClient(path: second.socket)
        defer { client.close() }
        for id in ids { try waitSucceeded(client, id) }
        let oursSent = try prompts(oursPort)

        context.print("  comfyui: \(jobs) prompts from a client holding their ids in memory, SIGKILLed after \(killAfter) ...")
        let (peer, peerPort) = try emulator()
        defer { peer.stop() }
        let peerArguments = ["-c", Self.comfyUIQueueClient, String(peerPort), Self.comfyUIGraph, String(jobs), "\(folder)/peer"]
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: python, arguments: peerArguments)
        options.standardOutput = .descriptor(output.write)
        let killed = try ChildProcess.spawn(options)
        try? output.write.close()
        let lines = LineClient(descriptor: output.read)
        for _ in 0..<killAfter { _ = try lines.readLine(timeout: .seconds(120)) }
        killed.send(.kill)
        _ = try? killed.wait()
        lines.close()
        _ = try ProcessOutputCapture.run(python, peerArguments)
        let peerSent = try prompts(peerPort)

        let perJob = (ours: Double(oursSent) / Double(jobs), peer: Double(peerSent) / Double(jobs))
        context.findings.record(
            suite: "backends", figure: "comfyui: prompts sent per job across a SIGKILL of the client",
            ours: Format.fixed(perJob.ours, 2), peer: "a client holding prompt ids in memory: \(Format.fixed(perJob.peer, 2))",
            advantage: perJob.peer / perJob.ours, whyBehind: "visioncraftd commits each prompt id before it waits and follows it again after a restart"
        )
        var table = TextTable(header: ["\(jobs) one-image jobs, the client SIGKILLed after \(killAfter)", "through visioncraftd", "ids in memory (Python)", "ratio"])
        table.append(["prompts ComfyUI was sent (and made) per job", Format.fixed(perJob.ours, 2), Format.fixed(perJob.peer, 2), Format.ratio(perJob.peer / perJob.ours)])
        return table.render() + "\n(ratio: the client's prompts per job / the daemon's; the goal is 1.00 for the daemon)"
    }

    /// Waits for job `id` over `client`; throws unless it succeeded.
    private func waitSucceeded(_ client: LineClient, _ id: String) throws {
        try client.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":100}}"#)
        let waited = try JSONParser.parse(Array(try client.readLine(timeout: .seconds(120)).utf8))
        guard waited["result"]?["job"]?["state"] == "succeeded" else { throw BenchmarkError("a job did not succeed: \(waited)") }
    }

    /// One prompt after the other through ComfyUI's API as its examples
    /// do (`POST /prompt`, `GET /history/{id}` until it is there, `GET
    /// /view`), each image written.
    static let comfyUIClient = #"""
import http.client, json, sys, time, urllib.parse
port, path, body, count, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
connection = http.client.HTTPConnection("127.0.0.1", port)
def call(method, target, payload=None):
    connection.request(method, target, payload, {"Content-Type": "application/json"} if payload else {})
    return connection.getresponse().read()
started = time.monotonic()
for index in range(count):
    graph = json.loads(body)
    graph["3"]["inputs"]["seed"] = index
    prompt_id = json.loads(call("POST", path, json.dumps({"prompt": graph, "client_id": "direct"})))["prompt_id"]
    while True:
        entry = json.loads(call("GET", "/history/" + prompt_id)).get(prompt_id)
        if entry:
            break
        time.sleep(0.002)
    image = next(iter(entry["outputs"].values()))["images"][0]
    with open(f"{folder}/{index}.png", "wb") as file:
        file.write(call("GET", "/view?" + urllib.parse.urlencode(image)))
print(time.monotonic() - started)
"""#

    /// Queues every prompt it has no image for at once (as ComfyUI's front
    /// end queues a batch), keeping their ids in memory, and saves each as
    /// it is done, printing a line.
    static let comfyUIQueueClient = #"""
import http.client, json, os, sys, time, urllib.parse
port, body, count, folder = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
connection = http.client.HTTPConnection("127.0.0.1", port)
def call(method, target, payload=None):
    connection.request(method, target, payload, {"Content-Type": "application/json"} if payload else {})
    return connection.getresponse().read()
pending = {}
for index in range(count):
    if os.path.exists(f"{folder}/{index}.png"):
        continue
    graph = json.loads(body)
    graph["3"]["inputs"]["seed"] = index
    pending[json.loads(call("POST", "/prompt", json.dumps({"prompt": graph, "client_id": "peer"})))["prompt_id"]] = index
while pending:
    for prompt_id, index in list(pending.items()):
        entry = json.loads(call("GET", "/history/" + prompt_id)).get(prompt_id)
        if not entry:
            continue
        image = next(iter(entry["outputs"].values()))["images"][0]
        with open(f"{folder}/{index}.png", "wb") as file:
            file.write(call("GET", "/view?" + urllib.parse.urlencode(image)))
        del pending[prompt_id]
        print("saved", index, flush=True)
    time.sleep(0.01)
"""#
}
