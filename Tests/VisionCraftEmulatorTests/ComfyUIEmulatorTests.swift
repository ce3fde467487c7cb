import Imaging
import JSON
import Posix
import Testing
import TestSupport
import VisionCraftEmulator

/// A ComfyUI emulator on a free loopback port, stopped by `stop()`.
func startComfyUI(_ configuration: ComfyUIEmulator.Configuration = .init()) throws -> ComfyUIEmulator {
    let emulator = try ComfyUIEmulator(configuration: configuration)
    try emulator.start()
    return emulator
}

/// ComfyUI's default text-to-image graph in API format, with changes to
/// node inputs ("3.seed") applied.
func comfyGraph(_ changes: [String: JSON] = [:], width: Int = 64, height: Int = 48, batch: Int = 2) -> JSONObject {
    var graph: JSONObject = [
        "4": ["class_type": "CheckpointLoaderSimple", "inputs": ["ckpt_name": "v1-5-pruned-emaonly.safetensors"]],
        "5": ["class_type": "EmptyLatentImage", "inputs": ["width": .number(JSONNumber(width)), "height": .number(JSONNumber(height)), "batch_size": .number(JSONNumber(batch))]],
        "6": ["class_type": "CLIPTextEncode", "inputs": ["text": "a lighthouse at dusk", "clip": ["4", 1]]],
        "7": ["class_type": "CLIPTextEncode", "inputs": ["text": "blurry", "clip": ["4", 1]]],
        "3": [
            "class_type": "KSampler",
            "inputs": [
                "seed": 42, "steps": 4, "cfg": 7.5, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0, "model": ["4", 0],
                "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
            ],
        ],
        "8": ["class_type": "VAEDecode", "inputs": ["samples": ["3", 0], "vae": ["4", 2]]],
        "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": "ComfyUI", "images": ["8", 0]]],
    ]
    for (path, value) in changes {
        let parts = path.split(separator: ".").map(String.init)
        guard case .object(var node)? = graph[parts[0]], case .object(var inputs)? = node["inputs"] else { continue }
        if value.isNull { _ = inputs.removeValue(forKey: parts[1]) } else { inputs[parts[1]] = value }
        node["inputs"] = .object(inputs)
        graph[parts[0]] = .object(node)
    }
    return graph
}

/// `POST /prompt` with the graph (and extra body fields).
func comfyQueue(_ port: UInt16, _ graph: JSONObject, extra: JSONObject = [:], path: String = "/prompt") throws -> ReceivedResponse {
    var body: JSONObject = ["prompt": .object(graph), "client_id": "tests"]
    for (key, value) in extra { body[key] = value }
    return try RawHTTPClient(port: port).request("POST", path, body: JSON.object(body).description)
}

/// Polls `/history/{id}` until the entry shows, for at most five seconds.
func comfyHistory(_ port: UInt16, _ id: String) throws -> JSON {
    let client = try RawHTTPClient(port: port)
    for _ in 0..<1000 {
        if let entry = try json(client.request("GET", "/history/\(id)"))[id] { return entry }
        pauseBriefly()
    }
    throw TestFailure("prompt \(id) never reached the history")
}

@Suite struct ComfyUIEmulatorTests {
    @Test func aPromptIsQueuedRunAndItsImagesServedWithThePromptAndWorkflow() async throws {
        let emulator = try startComfyUI()
        defer { emulator.stop() }
        try await offPool {
        let workflow: JSON = ["nodes": [], "version": 0.4]
        let answer = try comfyQueue(emulator.port, comfyGraph(), extra: ["extra_data": ["extra_pnginfo": ["workflow": workflow]]])
        #expect(answer.status == 200)
        let body = try json(answer)
        let id = try #require(body["prompt_id"]?.stringValue)
        #expect(id.count == 36 && id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12], "a UUID")
        #expect(body["number"] == 0)
        #expect(body["node_errors"] == [:])

        let entry = try comfyHistory(emulator.port, id)
        #expect(entry["status"]?["status_str"] == "success")
        #expect(entry["status"]?["completed"] == true)
        let messages = entry["status"]?["messages"]?.arrayValue?.compactMap { $0[0]?.stringValue }
        #expect(messages == ["execution_start", "execution_cached", "execution_success"])
        #expect(entry["prompt"]?[1]?.stringValue == id)
        #expect(entry["prompt"]?[3]?["client_id"] == "tests")
        #expect(entry["prompt"]?[3]?["create_time"]?.int64Value ?? 0 > 1_700_000_000_000, "milliseconds since 1970")
        #expect(entry["prompt"]?[4] == ["9"])
        let images = try #require(entry["outputs"]?["9"]?["images"]?.arrayValue)
        #expect(images.count == 2, "batch_size pictures")
        #expect(images.map { $0["filename"]?.stringValue } == ["ComfyUI_00001_.png", "ComfyUI_00002_.png"])
        #expect(images[0]["subfolder"] == "" && images[0]["type"] == "output")

        let view = try RawHTTPClient(port: emulator.port).request("GET", "/view?filename=ComfyUI_00001_.png&subfolder=&type=output")
        #expect(view.status == 200)
        #expect(view.header("content-type") == "image/png")
        let (image, text) = try PNGCodec.decode(view.body)
        #expect(image.width == 64 && image.height == 48)
        let prompt = try #require(text.first { $0.keyword == "prompt" }?.text)
        #expect(try JSONParser.parse(Array(prompt.utf8))["3"]?["inputs"]?["seed"] == 42)
        #expect(try JSONParser.parse(Array((text.first { $0.keyword == "workflow" }?.text ?? "").utf8)) == workflow)
        let second = try RawHTTPClient(port: emulator.port).request("GET", "/api/view?filename=ComfyUI_00002_.png")
        #expect(second.status == 200 && second.body != view.body, "the batch's pictures differ; /api/ serves the same routes")
        #expect(try RawHTTPClient(port: emulator.port).request("GET", "/view?filename=nothing.png").status == 404)
        #expect(emulator.statistics["POST /prompt"]?[200] == 1)
        #expect(emulator.statistics["GET /view"]?[200] == 2)
        }
    }

    @Test func theSameSeedAndTextDrawTheSamePictureAndAnotherSeedAnother() async throws {
        let emulator = try startComfyUI()
        defer { emulator.stop() }
        try await offPool {
        var bodies: [[UInt8]] = []
        for seed in [7, 7, 8] {
            let id = try #require(try json(comfyQueue(emulator.port, comfyGraph(["3.seed": .number(JSONNumber(seed))], batch: 1)))["prompt_id"]?.stringValue)
            let entry = try comfyHistory(emulator.port, id)
            let name = try #require(entry["outputs"]?["9"]?["images"]?[0]?["filename"]?.stringValue)
            let png = try RawHTTPClient(port: emulator.port).request("GET", "/view?filename=\(name)").body
            bodies.append(try PNGCodec.decode(png).image.pixels)
        }
        #expect(bodies[0] == bodies[1])
        #expect(bodies[0] != bodies[2])
        }
    }

    @Test func invalidGraphsAreRefusedAsValidatePromptDoes() async throws {
        let emulator = try startComfyUI()
        defer { emulator.stop() }
        try await offPool {
        let port = emulator.port
        var graph = comfyGraph()
        graph["9"] = nil
        let noOutputs = try comfyQueue(port, graph)
        #expect(noOutputs.status == 400)
        #expect(try json(noOutputs)["error"]?["type"] == "prompt_no_outputs")
        #expect(try json(noOutputs)["node_errors"] == [:])

        graph = comfyGraph()
        graph["10"] = ["class_type": "UpscaleModelLoader", "inputs": [:]]
        let unknown = try json(comfyQueue(port, graph))
        #expect(unknown["error"]?["type"] == "missing_node_type")
        #expect(unknown["error"]?["message"] == "Node 'UpscaleModelLoader' not found. The custom node may not be installed.")
        #expect(unknown["error"]?["extra_info"]?["node_id"] == "10")

        graph = comfyGraph()
        graph["10"] = ["inputs": [:]]
        #expect(try json(comfyQueue(port, graph))["error"]?["type"] == "invalid_prompt")

        let bad = try comfyQueue(port, comfyGraph(["3.sampler_name": "Euler a", "3.steps": 0, "3.scheduler": .null, "4.ckpt_name": "missing.ckpt"]))
        #expect(bad.status == 400)
        let body = try json(bad)
        #expect(body["error"]?["type"] == "prompt_outputs_failed_validation")
        #expect(body["error"]?["message"] == "Prompt outputs failed validation")
        let sampler = try #require(body["node_errors"]?["3"])
        #expect(sampler["class_type"] == "KSampler")
        #expect(sampler["dependent_outputs"] == ["9"])
        let types = sampler["errors"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
        #expect(types == ["value_smaller_than_min", "value_not_in_list", "required_input_missing"])
        let notInList = try #require(sampler["errors"]?[1])
        #expect(notInList["details"] == "sampler_name: 'Euler a' not in (list of length 33)")
        #expect(notInList["extra_info"]?["received_value"] == "Euler a")
        #expect(notInList["extra_info"]?["input_config"] == .null, "a list of more than 20 is left out")
        #expect(body["error"]?["details"] == "", "the output node itself has no error")
        #expect(sampler["errors"]?[0]?["message"] == "Value 0 smaller than min of 1")
        #expect(sampler["errors"]?[2]?["extra_info"] == ["input_name": "scheduler"])
        let loader = try #require(body["node_errors"]?["4"]?["errors"]?[0])
        #expect(loader["type"] == "value_not_in_list")
        #expect(loader["details"]?.stringValue?.hasPrefix("ckpt_name: 'missing.ckpt' not in ['sd_xl_base_1.0.safetensors',") == true)
        #expect(loader["extra_info"]?["input_config"]?[0]?[0] == "sd_xl_base_1.0.safetensors")
        var noPrefix = comfyGraph()
        noPrefix["9"] = ["class_type": "SaveImage", "inputs": ["filename_prefix": "x"]]
        #expect(try json(comfyQueue(port, noPrefix))["error"]?["details"] == "Required input is missing: images")

        let mismatch = try json(comfyQueue(port, comfyGraph(["3.positive": ["4", 1]])))
        let mismatchError = try #require(mismatch["node_errors"]?["3"]?["errors"]?[0])
        #expect(mismatchError["type"] == "return_type_mismatch")
        #expect(mismatchError["details"] == "positive, received_type(CLIP) mismatch input_type(CONDITIONING)")
        let wide = try #require(try json(comfyQueue(port, comfyGraph(["5.width": "wide"])))["node_errors"]?["5"]?["errors"]?[0])
        #expect(wide["type"] == "invalid_input_type")
        #expect(wide["details"] == "width, wide, invalid literal for int() with base 10: 'wide'")
        #expect(wide["extra_info"]?["exception_message"] == "invalid literal for int() with base 10: 'wide'")

        let none = try RawHTTPClient(port: port).request("POST", "/prompt", body: "{\"client_id\": \"x\"}")
        #expect(none.status == 400)
        #expect(try json(none)["error"]?["type"] == "no_prompt")
        #expect(emulator.statistics["POST /prompt"]?[400] == 8)
        #expect(try json(RawHTTPClient(port: port).request("GET", "/history")) == [:], "nothing refused was queued")
        }
    }

    @Test func promptsRunOneAtATimeInTheOrderQueued() async throws {
        let emulator = try startComfyUI(.init(stepDuration: .milliseconds(100)))
        defer { emulator.stop() }
        try await offPool {
        let port = emulator.port
        let ids = try (0..<3).map { _ in try #require(try json(comfyQueue(port, comfyGraph(batch: 1)))["prompt_id"]?.stringValue) }
        let client = try RawHTTPClient(port: port)
        let queue = try json(client.request("GET", "/queue"))
        let running = try #require(queue["queue_running"]?.arrayValue)
        let pending = try #require(queue["queue_pending"]?.arrayValue)
        #expect(running.count + pending.count == 3)
        #expect(running.count <= 1, "one at a time")
        #expect((running + pending).map { $0[1]?.stringValue } == ids, "in the order queued")
        #expect(pending.first?[2]?["3"]?["class_type"] == "KSampler", "the prompt travels in the item")
        #expect(try json(client.request("GET", "/history/\(ids[2])")) == [:], "{} until done")
        #expect(try json(client.request("GET", "/prompt"))["exec_info"]?["queue_remaining"]?.intValue ?? 0 >= 2)

        let last = try comfyHistory(port, ids[2])
        let starts = try ids.map { id -> Int64 in
            let entry = id == ids[2] ? last : try comfyHistory(port, id)
            return try #require(entry["status"]?["messages"]?[0]?[1]?["timestamp"]?.int64Value)
        }
        let ends = try ids.map { id -> Int64 in try #require(try comfyHistory(port, id)["status"]?["messages"]?[2]?[1]?["timestamp"]?.int64Value) }
        #expect(starts[1] >= ends[0] && starts[2] >= ends[1], "each starts once the one before ended")
        #expect(ends[0] - starts[0] >= 4 * 100 - 5, "four steps of 100 ms")
        let history = try json(client.request("GET", "/history"))
        #expect(history.objectValue?.keys == ids)
        #expect(try json(client.request("GET", "/history?max_items=1")).objectValue?.keys == [ids[2]])
        #expect(try json(client.request("GET", "/queue")) == ["queue_running": [], "queue_pending": []])
        }
    }

    @Test func anUploadIsListedForLoadImageAndFeedsImageToImage() async throws {
        let emulator = try startComfyUI()
        defer { emulator.stop() }
        try await offPool {
        let port = emulator.port
        let png = try uploadPNG(width: 40, height: 24)
        func upload(_ fields: [(String, String)]) throws -> ReceivedResponse {
            let boundary = "----comfy-test"
            let body = multipart(boundary: boundary, fields: fields, files: [("image", "photo.png", "image/png", png)])
            let client = try RawHTTPClient(port: port)
            let head = "POST /upload/image HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(body.count)\r\n\r\n"
            try client.connection.send(bytes: Array(head.utf8) + body)
            return try client.readResponse()
        }
        #expect(try json(upload([])) == ["name": "photo.png", "subfolder": "", "type": "input"])
        #expect(try json(upload([]))["name"] == "photo (1).png", "no overwrite: a new name")
        #expect(try json(upload([("overwrite", "true")]))["name"] == "photo.png")
        let info = try json(RawHTTPClient(port: port).request("GET", "/object_info/LoadImage"))
        #expect(info["LoadImage"]?["input"]?["required"]?["image"]?[0] == ["photo (1).png", "photo.png"])
        #expect(try RawHTTPClient(port: port).request("GET", "/view?filename=photo.png&type=input").body == png)

        var graph = comfyGraph(["3.latent_image": ["11", 0], "3.denoise": 0.6])
        graph["10"] = ["class_type": "LoadImage", "inputs": ["image": "photo.png"]]
        graph["11"] = ["class_type": "VAEEncode", "inputs": ["pixels": ["10", 0], "vae": ["4", 2]]]
        graph["5"] = nil
        let id = try #require(try json(comfyQueue(port, graph))["prompt_id"]?.stringValue)
        let name = try #require(try comfyHistory(port, id)["outputs"]?["9"]?["images"]?[0]?["filename"]?.stringValue)
        let made = try PNGCodec.decode(RawHTTPClient(port: port).request("GET", "/view?filename=\(name)").body).image
        #expect(made.width == 40 && made.height == 24, "the upload's size")

        graph["10"] = ["class_type": "LoadImage", "inputs": ["image": "elsewhere.png"]]
        #expect(try json(comfyQueue(port, graph))["node_errors"]?["10"]?["errors"]?[0]?["type"] == "value_not_in_list")
        }
    }

    @Test func objectInfoListsTheStandardNodesWithTheCatalogsLists() async throws {
        let emulator = try startComfyUI()
        defer { emulator.stop() }
        try await offPool {
        let client = try RawHTTPClient(port: emulator.port)
        let all = try json(client.request("GET", "/object_info"))
        let names = Set(all.objectValue?.keys ?? [])
        #expect(names.isSuperset(of: ["CheckpointLoaderSimple", "CLIPTextEncode", "EmptyLatentImage", "KSampler", "VAEDecode", "SaveImage", "LoadImage", "VAEEncode"]))
        let sampler = try json(client.request("GET", "/api/object_info/KSampler"))["KSampler"]
        #expect(sampler?["input"]?["required"]?["sampler_name"]?[0]?.arrayValue?.contains("dpmpp_2m") == true)
        #expect(sampler?["input"]?["required"]?["scheduler"]?[0]?.arrayValue?.contains("karras") == true)
        #expect(sampler?["input"]?["required"]?["steps"]?[1]?["min"] == 1)
        #expect(sampler?["output"] == ["LATENT"])
        #expect(all["SaveImage"]?["output_node"] == true)
        #expect(try json(client.request("GET", "/object_info/NoSuchNode")) == [:])
        let checkpoints = try json(client.request("GET", "/models/checkpoints"))
        #expect(checkpoints.arrayValue?.contains("v1-5-pruned-emaonly.safetensors") == true)
        #expect(all["CheckpointLoaderSimple"]?["input"]?["required"]?["ckpt_name"]?[0] == checkpoints)
        #expect(try json(client.request("GET", "/models")).arrayValue?.contains("checkpoints") == true)
        #expect(try client.request("GET", "/models/nonsense").status == 404)
        #expect(try json(client.request("GET", "/system_stats"))["devices"]?[0]?["type"] == "cuda")
        #expect(emulator.statistics["GET /object_info/{class}"]?[200] == 2)
        }
    }

    @Test func aStalledQueueKeepsPromptsPendingAndTheyCanBeDeleted() async throws {
        let emulator = try startComfyUI(.init(stallQueue: true))
        defer { emulator.stop() }
        try await offPool {
        let port = emulator.port
        let first = try #require(try json(comfyQueue(port, comfyGraph()))["prompt_id"]?.stringValue)
        let second = try #require(try json(comfyQueue(port, comfyGraph()))["prompt_id"]?.stringValue)
        let client = try RawHTTPClient(port: port)
        let queue = try json(client.request("GET", "/queue"))
        #expect(queue["queue_running"] == [])
        #expect(queue["queue_pending"]?.arrayValue?.map { $0[1]?.stringValue } == [first, second])
        #expect(queue["queue_pending"]?[1]?[0] == 1, "numbered in order")
        let own = try json(comfyQueue(port, comfyGraph(), extra: ["prompt_id": "my-own-id"]))
        #expect(own["prompt_id"] == "my-own-id")
        _ = try client.request("POST", "/queue", body: "{\"delete\": [\"my-own-id\"]}")
        _ = try client.request("POST", "/queue", body: "{\"delete\": [\"\(first)\"]}")
        #expect(try json(client.request("GET", "/queue"))["queue_pending"]?.arrayValue?.map { $0[1]?.stringValue } == [second])
        }
    }

    @Test func lostHistoryLeavesAFinishedPromptInNeitherQueueNorHistory() async throws {
        let emulator = try startComfyUI(.init(loseHistory: true))
        defer { emulator.stop() }
        try await offPool {
        let port = emulator.port
        let id = try #require(try json(comfyQueue(port, comfyGraph(batch: 1)))["prompt_id"]?.stringValue)
        let client = try RawHTTPClient(port: port)
        var drained = false
        for _ in 0..<1000 where !drained {
            drained = try json(client.request("GET", "/queue")) == ["queue_running": [], "queue_pending": []]
            if !drained { pauseBriefly() }
        }
        #expect(drained)
        #expect(try json(client.request("GET", "/history/\(id)")) == [:])
        #expect(try json(client.request("GET", "/history")) == [:])
        }
    }

    @Test func anInterruptEndsTheRunningPromptWithAnErrorStatus() async throws {
        let emulator = try startComfyUI(.init(stepDuration: .milliseconds(50)))
        defer { emulator.stop() }
        try await offPool {
        let port = emulator.port
        let id = try #require(try json(comfyQueue(port, comfyGraph(["3.steps": 200], batch: 1)))["prompt_id"]?.stringValue)
        let client = try RawHTTPClient(port: port)
        var running = false
        for _ in 0..<1000 where !running {
            running = try json(client.request("GET", "/queue"))["queue_running"]?.arrayValue?.count == 1
            if !running { pauseBriefly() }
        }
        #expect(running)
        #expect(try client.request("POST", "/interrupt").status == 200)
        let entry = try comfyHistory(port, id)
        #expect(entry["status"]?["status_str"] == "error")
        #expect(entry["status"]?["completed"] == false)
        #expect(entry["status"]?["messages"]?[2]?[0] == "execution_interrupted")
        #expect(entry["outputs"] == [:])
        }
    }

    @Test func theFaultPlanAppliesToPromptsAndViews() async throws {
        let emulator = try startComfyUI(.init(faults: try FaultPlan().updated(with: ["server_error_rate": 1])))
        defer { emulator.stop() }
        try await offPool {
        let port = emulator.port
        let failed = try comfyQueue(port, comfyGraph())
        #expect([500, 502, 503].contains(failed.status))
        #expect(try json(RawHTTPClient(port: port).request("GET", "/queue")) == ["queue_running": [], "queue_pending": []], "nothing queued")
        emulator.faults = try FaultPlan().updated(with: ["malformed_rate": 1])
        let malformed = try comfyQueue(port, comfyGraph())
        #expect(malformed.status == 200)
        #expect((try? json(malformed))?["prompt_id"]?.stringValue?.count != 36, "no usable prompt id")
        emulator.faults = FaultPlan()
        let id = try #require(try json(comfyQueue(port, comfyGraph(batch: 1)))["prompt_id"]?.stringValue)
        let name = try #require(try comfyHistory(port, id)["outputs"]?["9"]?["images"]?[0]?["filename"]?.stringValue)
        emulator.faults = try FaultPlan().updated(with: ["corrupt_download_rate": 1])
        let corrupt = try RawHTTPClient(port: port).request("GET", "/view?filename=\(name)")
        #expect(corrupt.status == 200)
        #expect(throws: ImagingError.self) { try PNGCodec.decode(corrupt.body) }
        let counted = emulator.statistics["POST /prompt"] ?? [:]
        #expect(counted[200] == 2 && counted.values.reduce(0, +) == 3)
        }
    }
}
