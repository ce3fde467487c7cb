import HTTPServer
import Imaging
import JSON
import Posix

/// The ComfyUI emulator's request handling (`ComfyUIEmulator` serves it):
/// the routes of server.py, the prompt queue of execution.py (one prompt
/// at a time, in the order queued) and its history; its websocket
/// (`ComfyUISockets`) tells a running prompt's progress (`ComfyUIExecution`).
final class ComfyUIService: EmulatedAPI {
    let configuration: ComfyUIEmulator.Configuration
    private let state: Lock<State>
    let sockets = ComfyUISockets()

    /// A queued prompt, as `/queue` and `/history` write it: `[number,
    /// prompt_id, prompt, extra_data, outputs_to_execute]`.
    private struct Item {
        var number: Int
        var id: String
        var prompt: JSONObject
        var extra: JSONObject
        var outputs: [String]

        var json: JSON {
            [.number(JSONNumber(number)), .string(id), .object(prompt), .object(extra), .array(outputs.map(JSON.string))]
        }
    }

    private struct State {
        var plan: FaultPlan
        /// Fault decisions, in request order.
        var random: SplitMix64
        /// Prompt ids, reproducible from the seed.
        var ids: SplitMix64
        var counts: [String: [Int: Int]] = [:]
        var number = 0
        var pending: [Item] = []
        var running: Item?
        /// The node the running prompt executes now (server.py `last_node_id`).
        var lastNode: String?
        var interrupted = false
        var runnerActive = false
        var history = JSONObject()
        /// "type/subfolder/filename" -> the file's bytes: outputs and uploads.
        var files: [String: [UInt8]] = [:]
        /// SaveImage's counter per filename prefix.
        var counters: [String: Int] = [:]

        init(_ configuration: ComfyUIEmulator.Configuration) {
            plan = configuration.faults
            random = SplitMix64(state: configuration.seed)
            ids = SplitMix64(state: configuration.seed ^ 0xC0FF_EE00_C0FF_EE00)
        }

        /// The names LoadImage offers: the input folder's files.
        var inputImages: [String] {
            files.keys.filter { $0.hasPrefix("input/") }.map { String($0.dropFirst("input/".count)) }.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }
        }
    }

    init(configuration: ComfyUIEmulator.Configuration) {
        self.configuration = configuration
        state = Lock(State(configuration))
    }

    package var statistics: [String: [Int: Int]] { state.withLock { $0.counts } }


    package func handle(_ request: HTTPRequest) async -> HTTPReply {
        if request.path.hasPrefix("/_emulator/") {
            return .response(administer(request))
        }
        let delay = state.withLock { FaultDecision.latency($0.plan, &$0.random) }
        if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
        let (endpoint, reply) = route(request)
        let status = EmulatorAdministration.status(of: reply)
        state.withLock { $0.counts[endpoint, default: [:]][status, default: 0] += 1 }
        return reply
    }

    // MARK: Routes

    private func route(_ request: HTTPRequest) -> (String, HTTPReply) {
        var path = request.path
        // server.py serves every route twice: as is and under /api.
        if path.hasPrefix("/api/") { path = String(path.dropFirst(4)) }
        let query = Self.query(request.target)
        let method = request.method
        switch (method, path) {
        case ("POST", "/prompt"): return ("POST /prompt", queuePrompt(request))
        case ("GET", "/prompt"):
            let remaining = state.withLock { $0.pending.count + ($0.running == nil ? 0 : 1) }
            return ("GET /prompt", .response(.json(["exec_info": ["queue_remaining": .number(JSONNumber(remaining))]])))
        case ("GET", "/ws") where configuration.webSocket: return ("GET /ws", webSocket(request, clientID: query["clientId"]))
        case ("GET", "/queue"): return ("GET /queue", .response(.json(queue())))
        case ("POST", "/queue"): return ("POST /queue", .response(changeQueue(request)))
        case ("GET", "/history"): return ("GET /history", .response(.json(history(maxItems: query["max_items"].flatMap { Int($0) }))))
        case ("POST", "/history"): return ("POST /history", .response(changeHistory(request)))
        case ("POST", "/interrupt"):
            state.withLock { if $0.running != nil { $0.interrupted = true } }
            return ("POST /interrupt", .response(HTTPResponse(status: .ok)))
        case ("GET", "/view"): return ("GET /view", view(query))
        case ("POST", "/upload/image"): return ("POST /upload/image", .response(upload(request)))
        case ("GET", "/object_info"):
            let images = state.withLock { $0.inputImages }
            var all = JSONObject()
            for node in ComfyUINodes.all { all[node.name] = ComfyUINodes.info(node, inputImages: images) }
            return ("GET /object_info", .response(.json(.object(all))))
        case ("GET", "/models"): return ("GET /models", .response(.json(["checkpoints", "loras", "vae", "embeddings"])))
        case ("GET", "/models/checkpoints"): return ("GET /models/{folder}", .response(.json(.array(ComfyUINodes.checkpoints.map(JSON.string)))))
        case ("GET", "/system_stats"): return ("GET /system_stats", .response(.json(Self.systemStats)))
        default: break
        }
        if method == "GET", path.hasPrefix("/history/") {
            let id = String(path.dropFirst("/history/".count))
            let entry = state.withLock { $0.history[id] }
            return ("GET /history/{id}", .response(.json(entry.map { [id: $0] } ?? [:])))
        }
        if method == "GET", path.hasPrefix("/object_info/") {
            let name = String(path.dropFirst("/object_info/".count))
            let images = state.withLock { $0.inputImages }
            let info: JSON = ComfyUINodes.node(name).map { [name: ComfyUINodes.info($0, inputImages: images)] } ?? [:]
            return ("GET /object_info/{class}", .response(.json(info)))
        }
        if method == "GET", path.hasPrefix("/models/") {
            // A folder ComfyUI knows but holds nothing in here; any other is a 404.
            let known = ["loras", "vae", "embeddings"].contains(String(path.dropFirst("/models/".count)))
            return ("GET /models/{folder}", .response(known ? .json([]) : Self.notFound))
        }
        return ("other", .response(Self.notFound))
    }

    /// aiohttp's 404 page.
    private static let notFound = HTTPResponse(status: .notFound, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("404: Not Found".utf8))

    private static let systemStats: JSON = [
        "system": [
            "os": "posix", "ram_total": 34_359_738_368, "ram_free": 25_769_803_776, "comfyui_version": "0.3.40", "python_version": "3.12.3",
            "pytorch_version": "2.7.0+cu128", "embedded_python": false, "argv": ["main.py", "--listen"],
        ],
        "devices": [
            [
                "name": "cuda:0 Emulated GPU : cudaMallocAsync", "type": "cuda", "index": 0, "vram_total": 25_769_803_776, "vram_free": 24_696_061_952,
                "torch_vram_total": 0, "torch_vram_free": 0,
            ]
        ],
    ]

    // MARK: The queue

    /// `POST /prompt {prompt, client_id?, prompt_id?, extra_data?, front?, number?}`.
    private func queuePrompt(_ request: HTTPRequest) -> HTTPReply {
        let decision = state.withLock { FaultDecision.generation($0.plan, &$0.random) }
        if let fault = faultReply(decision) { return fault }
        guard case .object(let body)? = try? JSONParser.parse(request.body) else {
            // server.py's json() fails inside aiohttp: its 500 page.
            return .response(Self.serverError)
        }
        guard case .object(let prompt)? = body["prompt"] else {
            let error = ComfyUIValidation.error("no_prompt", "No prompt provided", details: "No prompt provided")
            return .response(.json(["error": error, "node_errors": [:]], status: .badRequest))
        }
        let images = state.withLock { $0.inputImages }
        let verdict = ComfyUIValidation(prompt, inputImages: images)
        if let error = verdict.error {
            return .response(.json(["error": error, "node_errors": .object(verdict.nodeErrors)], status: .badRequest))
        }
        var extra = body["extra_data"]?.objectValue ?? [:]
        if let client = body["client_id"] { extra["client_id"] = client }
        extra["create_time"] = .number(JSONNumber(Self.milliseconds()))
        let (id, number, startRunner) = state.withLock { state -> (String, Int, Bool) in
            // Newer ComfyUI takes the client's own prompt_id.
            let id = body["prompt_id"]?.stringValue ?? Self.uuid(&state.ids)
            var number = state.number
            if body["front"]?.boolValue == true {
                number = -number
            } else if let given = body["number"]?.intValue {
                number = given
            }
            state.number += 1
            let item = Item(number: number, id: id, prompt: prompt, extra: extra, outputs: verdict.outputs)
            // The heap orders by number: "front" goes first, later numbers last.
            let position = state.pending.firstIndex { $0.number > number } ?? state.pending.count
            state.pending.insert(item, at: position)
            let start = !state.runnerActive && !configuration.stallQueue
            if start { state.runnerActive = true }
            return (id, number, start)
        }
        if startRunner { Task { await self.runQueue() } }
        // PromptQueue.put: server.queue_updated().
        let remaining = state.withLock { $0.pending.count + ($0.running == nil ? 0 : 1) }
        sockets.send("status", ComfyUIExecution.status(queueRemaining: remaining), to: nil)
        return .response(.json(["prompt_id": .string(id), "number": .number(JSONNumber(number)), "node_errors": .object(verdict.nodeErrors)]))
    }

    /// A version 4 UUID from the id generator.
    private static func uuid(_ random: inout SplitMix64) -> String {
        var bytes = (0..<2).flatMap { _ in withUnsafeBytes(of: random.next().bigEndian, Array.init) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { byte in String(byte >> 4, radix: 16) + String(byte & 15, radix: 16) }.joined()
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return groups.joined(separator: "-")
    }

    /// The worker: runs the pending prompts one at a time until none is left.
    private func runQueue() async {
        while true {
            let next = state.withLock { state -> Item? in
                guard !state.pending.isEmpty else {
                    state.runnerActive = false
                    return nil
                }
                let item = state.pending.removeFirst()
                state.running = item
                state.interrupted = false
                return item
            }
            guard let item = next else { return }
            await run(item)
        }
    }

    /// One prompt: its nodes (the sampling steps paced, the websocket
    /// told), then its SaveImage files and history entry.
    private func run(_ item: Item) async {
        let start = Self.milliseconds()
        let plans = item.outputs.map { ($0, ComfyUIRender.picture(item.prompt, saveNode: $0, files: state.withLock { $0.files }, seed: configuration.seed)) }
        var execution = ComfyUIExecution(
            sockets: sockets, id: item.id, prompt: item.prompt, outputs: item.outputs, client: item.extra["client_id"]?.stringValue,
            stepDuration: configuration.stepDuration
        )
        let interrupted = await !execution.run(isInterrupted: { state.withLock { $0.interrupted } }, onNode: { node in state.withLock { $0.lastNode = node } })
        var outputs = JSONObject()
        var rendered: [(String, [UInt8])] = []
        if !interrupted {
            for (node, picture) in plans {
                guard let picture else { continue }
                // PreviewImage saves to the temp folder under a random prefix (nodes.py).
                let kind = item.prompt[node]?["class_type"]?.stringValue == "PreviewImage" ? "temp" : "output"
                let prefix = kind == "temp" ? "ComfyUI_temp_\(Self.randomLetters(5))" : item.prompt[node]?["inputs"]?["filename_prefix"].map(PythonFormat.str) ?? "ComfyUI"
                let (subfolder, name) = Self.split(prefix)
                var images: [JSON] = []
                for index in 0..<picture.count {
                    let counter = state.withLock { state -> Int in
                        state.counters[prefix, default: 0] += 1
                        return state.counters[prefix]!
                    }
                    let filename = "\(name)_\(Self.padded(counter))_.png"
                    var text = [PNGCodec.TextChunk(keyword: "prompt", text: PythonFormat.dumps(.object(item.prompt)))]
                    for (key, value) in item.extra["extra_pnginfo"]?.objectValue ?? [:] {
                        text.append(PNGCodec.TextChunk(keyword: key, text: PythonFormat.dumps(value)))
                    }
                    let spec = ImageSynthesizer.Spec(key: picture.key, index: index, width: picture.width, height: picture.height)
                    let options = PNGCodec.Options(compressionLevel: 1, filters: PNGCodec.Options.noFilter)
                    guard let png = try? PNGCodec.encode(ImageSynthesizer.render(spec), text: text, options: options) else { continue }
                    rendered.append(("\(kind)/\(subfolder)/\(filename)", png))
                    images.append(["filename": .string(filename), "subfolder": .string(subfolder), "type": .string(kind)])
                }
                outputs[node] = ["images": .array(images)]
            }
        }
        let end = Self.milliseconds()
        var messages: [JSON] = [
            ["execution_start", ["prompt_id": .string(item.id), "timestamp": .number(JSONNumber(start))]],
            ["execution_cached", ["nodes": [], "prompt_id": .string(item.id), "timestamp": .number(JSONNumber(start))]],
        ]
        if interrupted {
            messages.append([
                "execution_interrupted",
                ["prompt_id": .string(item.id), "node_id": "", "node_type": "KSampler", "executed": [], "timestamp": .number(JSONNumber(end))],
            ])
        } else {
            messages.append(["execution_success", ["prompt_id": .string(item.id), "timestamp": .number(JSONNumber(end))]])
        }
        var meta = JSONObject()
        for node in outputs.keys { meta[node] = ["node_id": .string(node), "display_node": .string(node), "parent_node": nil, "real_node_id": .string(node)] }
        let entry: JSON = [
            "prompt": item.json, "outputs": .object(outputs),
            "status": ["status_str": interrupted ? "error" : "success", "completed": .bool(!interrupted), "messages": .array(messages)], "meta": .object(meta),
        ]
        if !interrupted { execution.succeeded(outputs) }
        let remaining = state.withLock { state in
            for (key, png) in rendered { state.files[key] = png }
            if !configuration.loseHistory { state.history[item.id] = entry }
            state.running = nil
            state.lastNode = nil
            return state.pending.count
        }
        execution.finished(queueRemaining: remaining)
    }

    /// `GET /ws?clientId=`: the socket, greeted with the queue's `status`
    /// and, when this client's prompt runs now, the node it executes.
    private func webSocket(_ request: HTTPRequest, clientID: String?) -> HTTPReply {
        sockets.upgrade(request, clientID: clientID) { [state] sid in
            let (remaining, node) = state.withLock { state in
                (state.pending.count + (state.running == nil ? 0 : 1), state.running?.extra["client_id"]?.stringValue == sid ? state.lastNode : nil)
            }
            var greeting: [(String, JSON)] = [("status", ["status": ComfyUIExecution.status(queueRemaining: remaining)["status"]!, "sid": .string(sid)])]
            if let node { greeting.append(("executing", ["node": .string(node)])) }
            return greeting
        }
    }

    /// `a/b/name` -> ("a/b", "name"), as folder_paths.get_save_image_path splits it.
    private static func split(_ prefix: String) -> (String, String) {
        guard let slash = prefix.lastIndex(of: "/") else { return ("", prefix) }
        return (String(prefix[..<slash]), String(prefix[prefix.index(after: slash)...]))
    }

    /// PreviewImage's `''.join(random.choice("abcdefghijklmnopqrstupvxyz") for x in range(5))`.
    private static func randomLetters(_ count: Int) -> String {
        String((0..<count).map { _ in "abcdefghijklmnopqrstupvxyz".randomElement() ?? "a" })
    }

    /// `f"{counter:05}"`.
    private static func padded(_ counter: Int) -> String {
        let digits = String(counter)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    static func milliseconds() -> Int64 {
        let now = WallClock.now()
        return now.seconds * 1000 + Int64(now.nanoseconds / 1_000_000)
    }

    /// `GET /queue`.
    private func queue() -> JSON {
        state.withLock { state in
            ["queue_running": .array(state.running.map { [$0.json] } ?? []), "queue_pending": .array(state.pending.map(\.json))]
        }
    }

    /// `POST /queue {clear?, delete?: [prompt_id]}`: pending prompts only.
    private func changeQueue(_ request: HTTPRequest) -> HTTPResponse {
        let body = (try? JSONParser.parse(request.body))?.objectValue ?? [:]
        state.withLock { state in
            if body["clear"]?.boolValue == true { state.pending.removeAll() }
            let doomed = Set((body["delete"]?.arrayValue ?? []).compactMap(\.stringValue))
            state.pending.removeAll { doomed.contains($0.id) }
        }
        return HTTPResponse(status: .ok)
    }

    /// `GET /history[?max_items=N]`: the oldest first, the last N of them.
    private func history(maxItems: Int?) -> JSON {
        let all = state.withLock { $0.history }
        guard let maxItems, maxItems < all.count else { return .object(all) }
        return .object(JSONObject(Array(all.map { ($0.key, $0.value) }.suffix(max(0, maxItems)))))
    }

    /// `POST /history {clear?, delete?: [prompt_id]}`.
    private func changeHistory(_ request: HTTPRequest) -> HTTPResponse {
        let body = (try? JSONParser.parse(request.body))?.objectValue ?? [:]
        state.withLock { state in
            if body["clear"]?.boolValue == true { state.history = [:] }
            for id in (body["delete"]?.arrayValue ?? []).compactMap(\.stringValue) { _ = state.history.removeValue(forKey: id) }
        }
        return HTTPResponse(status: .ok)
    }

    // MARK: Files

    /// `GET /view?filename=&subfolder=&type=`: an output, input or temp file.
    private func view(_ query: [String: String]) -> HTTPReply {
        guard let filename = query["filename"], !filename.isEmpty, !filename.contains("/"), !filename.hasPrefix("..") else {
            return .response(HTTPResponse(status: .badRequest))
        }
        let type = query["type"] ?? "output"
        let subfolder = query["subfolder"] ?? ""
        guard let png = state.withLock({ $0.files["\(type)/\(subfolder)/\(filename)"] }) else { return .response(HTTPResponse(status: .notFound)) }
        let decision = state.withLock { FaultDecision.download($0.plan, &$0.random) }
        guard case .response(var response)? = decision.imageReply(png) else { return decision.imageReply(png) ?? .response(Self.serverError) }
        response.headers.append(("Content-Disposition", "filename=\"\(filename)\""))
        return .response(response)
    }

    /// `POST /upload/image`: multipart `image`, with `type` (input), `subfolder` and `overwrite`.
    private func upload(_ request: HTTPRequest) -> HTTPResponse {
        guard let boundary = MultipartForm.boundary(contentType: request.header("content-type")),
            let form = try? MultipartForm(request.body, boundary: boundary), let image = form.parts(named: "image").first,
            let original = image.filename, !original.isEmpty
        else { return HTTPResponse(status: .badRequest) }
        let type = form.parts(named: "type").first?.text ?? "input"
        guard ["input", "temp", "output"].contains(type) else { return HTTPResponse(status: .badRequest) }
        let subfolder = form.parts(named: "subfolder").first?.text ?? ""
        let overwrite = ["true", "1"].contains(form.parts(named: "overwrite").first?.text.lowercased() ?? "")
        guard !subfolder.hasPrefix("/"), !subfolder.contains(".."), !original.contains("/") else { return HTTPResponse(status: .badRequest) }
        let name = state.withLock { state -> String in
            var name = original
            if !overwrite {
                // ComfyUI's rule: "name (1).png", "name (2).png", ...
                let dot = original.lastIndex(of: ".") ?? original.endIndex
                var counter = 1
                while state.files["\(type)/\(subfolder)/\(name)"] != nil {
                    name = "\(original[..<dot]) (\(counter))\(original[dot...])"
                    counter += 1
                }
            }
            state.files["\(type)/\(subfolder)/\(name)"] = image.data
            return name
        }
        return .json(["name": .string(name), "subfolder": .string(subfolder), "type": .string(type)])
    }

    /// The query's fields, percent-decoded ("+" is a space).
    static func query(_ target: String) -> [String: String] {
        guard let question = target.firstIndex(of: "?") else { return [:] }
        var fields: [String: String] = [:]
        for pair in target[target.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            if fields[key] == nil { fields[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    private static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Faults

    /// aiohttp's answer to an exception in a handler.
    private static let serverError = HTTPResponse(
        status: .internalServerError, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("500 Internal Server Error\n\nServer got itself in trouble".utf8))

    /// A queueing fault's answer: aiohttp's 500, a proxy's 502 or 503, a
    /// proxy's 429, or a 200 that breaks ComfyUI's promise.
    private func faultReply(_ decision: FaultDecision) -> HTTPReply? {
        switch decision {
        case .reset:
            return .resetConnection
        case .serverError(let status) where status == .internalServerError:
            return .response(Self.serverError)
        case .serverError(let status):
            let page = "<html>\r\n<head><title>\(status.code) \(status.reason)</title></head>\r\n<body>\r\n<center><h1>\(status.code) \(status.reason)</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            return .response(HTTPResponse(status: status, headers: [("Content-Type", "text/html")], body: Array(page.utf8)))
        case .tooManyRequests:
            let seconds = state.withLock { $0.plan.retryAfterSeconds }
            return .response(
                HTTPResponse(
                    status: .tooManyRequests, headers: [("Content-Type", "text/plain"), ("Retry-After", String(seconds))], body: Array("Too Many Requests".utf8)))
        case .malformed(let variant):
            switch variant {
            case 0: return .response(HTTPResponse(status: .ok, headers: [("Content-Type", "text/html")], body: Array("<html><body>ComfyUI</body></html>".utf8)))
            case 1: return .response(.json([:]))
            case 2: return .response(.json(["prompt_id": 5, "number": "first"]))
            default: return .response(.json(["prompt_id": "", "number": 0, "node_errors": []]))
            }
        default:
            return nil
        }
    }

    // MARK: Administration

    func withFaults<T>(_ change: (inout FaultPlan) -> T) -> T {
        state.withLock { change(&$0.plan) }
    }

    var statisticsBeyondRequests: JSONObject {
        state.withLock { state in
            [
                "queue": [
                    "pending": .number(JSONNumber(state.pending.count)), "running": .number(JSONNumber(state.running == nil ? 0 : 1)),
                    "history": .number(JSONNumber(state.history.count)),
                ],
            ]
        }
    }

    func reset() {
        state.withLock { state in
            let busy = state.runnerActive
            state = State(configuration)
            // A prompt still running finishes into the fresh state.
            state.runnerActive = busy
        }
    }

}
