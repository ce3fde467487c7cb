import Backends
import ComfyUIAPI
import HTTPClient
import HTTPServer
import JSON
import Posix

/// A small ComfyUI over real HTTP, answering as its `server.py` does:
/// `/object_info/<class>`, `/upload/image`, `/prompt` (checking the
/// checkpoint and sampler as `validate_prompt` does, 400 with
/// `node_errors`), `/queue`, `/history/{id}` and `/view`. A prompt stays
/// running for `pollsBeforeDone` asks of its history, then is done (or
/// failed, with `executionError`); a prompt id it never answered is one a
/// restart lost. It keeps every request it was sent.
final class FakeComfyUI: Sendable {
    struct Settings: Sendable {
        var checkpoints = ["v1-5-pruned-emaonly.safetensors", "sdxl/juggernautXL.safetensors"]
        var samplers = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_sde", "ddim"]
        var schedulers = ["normal", "karras", "exponential", "simple"]
        /// How many asks of `/history/{id}` answer `{}` (the prompt running) first.
        var pollsBeforeDone = 2
        /// The exception the prompt's execution fails with; nil: it succeeds.
        var executionError: String?
        /// Newer ComfyUI's combo form, `["COMBO", {"options": [...]}]`.
        var comboForm = false
        /// The `timestamp`s (ms) of the history's `execution_start` and
        /// `execution_success` messages; nil: no messages (older ComfyUI).
        var executionStamps: (start: Int64, end: Int64)?
    }

    private struct State {
        var requests: [HTTPRequest] = []
        /// By prompt id: the graph, and how often its history was asked for.
        var prompts: [String: (graph: JSON, polls: Int)] = [:]
    }

    let server: HTTPServer
    private let state: Lock<State>

    init(_ settings: Settings = Settings()) throws {
        let state = Lock(State())
        self.state = state
        server = try HTTPServer { request in
            state.withLock { state in
                state.requests.append(request)
                return Self.answer(request, settings, &state)
            }
        }
        try server.start()
    }

    deinit { server.stop() }

    /// The requests sent to `path`, in order.
    func requests(to path: String) -> [HTTPRequest] {
        state.withLock { $0.requests.filter { $0.path == path } }
    }

    /// The graph of the last prompt posted.
    func lastGraph() throws -> JSON {
        try JSONParser.parse(requests(to: "/prompt").last?.body ?? [])["prompt"] ?? nil
    }

    /// A client of this server, polling fast.
    func client(followWindow: Duration = .seconds(60), pollInterval: Duration = .milliseconds(5)) throws -> ComfyUIClient {
        ComfyUIClient(
            configuration: .init(baseURL: server.baseURL, timeouts: .init(total: .seconds(60)), pollInterval: pollInterval, followWindow: followWindow),
            http: try HTTPClient()
        )
    }

    /// The bytes of a saved image: a PNG signature and its file name.
    static func png(_ filename: String) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(filename.utf8)
    }

    static func filename(_ index: Int) -> String { "visioncraft_0000\(index + 1)_.png" }

    private static func answer(_ request: HTTPRequest, _ settings: Settings, _ state: inout State) -> HTTPReply {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/object_info/CheckpointLoaderSimple"):
            return .response(.json(["CheckpointLoaderSimple": ["input": ["required": ["ckpt_name": combo(settings.checkpoints, settings)]]]]))
        case ("GET", "/object_info/KSampler"):
            return .response(.json(["KSampler": ["input": ["required": [
                "seed": ["INT", ["default": 0, "min": 0, "max": .number(JSONNumber(UInt64.max))]],
                "sampler_name": combo(settings.samplers, settings), "scheduler": combo(settings.schedulers, settings),
            ]]]]))
        case ("POST", "/upload/image"):
            return .response(.json(["name": "upload.png", "subfolder": "visioncraft", "type": "input"]))
        case ("POST", "/prompt"):
            return prompt(request, settings, &state)
        case ("GET", "/queue"):
            let running = state.prompts.filter { $0.value.polls < settings.pollsBeforeDone }.map { id, entry -> JSON in
                [1, .string(id), entry.graph, ["client_id": "visioncraft"], ["9"]]
            }
            return .response(.json(["queue_running": .array(running), "queue_pending": []]))
        case ("GET", "/view"):
            guard let name = request.target.split(separator: "filename=").last?.split(separator: "&").first else { return .response(.text("", status: .notFound)) }
            return .response(HTTPResponse(status: .ok, headers: [("Content-Type", "image/png")], body: png(String(name))))
        case ("GET", _) where path.hasPrefix("/history/"):
            let id = String(path.dropFirst("/history/".count))
            guard var entry = state.prompts[id] else { return .response(.json([:])) }
            entry.polls += 1
            state.prompts[id] = entry
            guard entry.polls > settings.pollsBeforeDone else { return .response(.json([:])) }
            return .response(.json([id: history(id, entry.graph, settings)]))
        default:
            return .response(.json(["error": "Not Found"], status: .notFound))
        }
    }

    private static func combo(_ names: [String], _ settings: Settings) -> JSON {
        let list = JSON.array(names.map(JSON.string))
        return settings.comboForm ? ["COMBO", ["options": list]] : [list, ["tooltip": "..."]]
    }

    private static func prompt(_ request: HTTPRequest, _ settings: Settings, _ state: inout State) -> HTTPReply {
        guard let body = try? JSONParser.parse(request.body), let graph = body["prompt"], graph.objectValue != nil else {
            return .response(.json(
                ["error": ["type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": [:]], "node_errors": [:]],
                status: .badRequest
            ))
        }
        for (id, node) in graph.objectValue ?? [:] {
            let checks: [(String, [String])] = [("ckpt_name", settings.checkpoints), ("sampler_name", settings.samplers), ("scheduler", settings.schedulers)]
            for (input, allowed) in checks {
                guard let value = node["inputs"]?[input]?.stringValue, !allowed.contains(value) else { continue }
                let error: JSON = [
                    "type": "value_not_in_list", "message": "Value not in list",
                    "details": .string("\(input): '\(value)' not in \(allowed)"), "extra_info": ["input_name": .string(input), "received_value": .string(value)],
                ]
                return .response(.json([
                    "error": ["type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": [:]],
                    "node_errors": [id: ["errors": [error], "dependent_outputs": ["9"], "class_type": node["class_type"] ?? nil]],
                ], status: .badRequest))
            }
        }
        let id = "prompt-\(state.prompts.count + 1)"
        state.prompts[id] = (graph, 0)
        return .response(.json(["prompt_id": .string(id), "number": .number(JSONNumber(state.prompts.count)), "node_errors": [:]]))
    }

    private static func history(_ id: String, _ graph: JSON, _ settings: Settings) -> JSON {
        let prompt: JSON = [1, .string(id), graph, ["client_id": "visioncraft"], ["9"]]
        if let exception = settings.executionError {
            return [
                "prompt": prompt, "outputs": [:],
                "status": ["status_str": "error", "completed": false, "messages": [
                    ["execution_start", ["prompt_id": .string(id), "timestamp": 1]],
                    ["execution_error", [
                        "prompt_id": .string(id), "node_id": "3", "node_type": "KSampler", "executed": [],
                        "exception_message": .string(exception + "\n"), "exception_type": "torch.OutOfMemoryError", "traceback": [],
                    ]],
                ]],
            ]
        }
        let count = graph["5"]?["inputs"]?["batch_size"]?.intValue ?? graph["12"]?["inputs"]?["amount"]?.intValue ?? 1
        let images = (0..<count).map { index -> JSON in ["filename": .string(filename(index)), "subfolder": "", "type": "output"] }
        return [
            "prompt": prompt, "outputs": ["9": ["images": .array(images)]],
            "status": ["status_str": "success", "completed": true, "messages": .array(settings.executionStamps.map { stamps in
                [
                    ["execution_start", ["prompt_id": .string(id), "timestamp": .number(JSONNumber(stamps.start))]],
                    ["execution_cached", ["nodes": [], "prompt_id": .string(id), "timestamp": .number(JSONNumber(stamps.start))]],
                    ["execution_success", ["prompt_id": .string(id), "timestamp": .number(JSONNumber(stamps.end))]],
                ]
            } ?? [])],
        ]
    }
}
