import Imaging
import JobStore
import JSON
import Posix
import Testing
import TestSupport

/// The daemon in front of ComfyUI (the emulator's `--api comfyui`), whose
/// own queue lives in memory: a job comes back saved, and a daemon killed
/// while ComfyUI makes its prompt follows that prompt again after the
/// restart instead of submitting it twice.
@Suite struct ComfyUIEndToEndTests {
    static func writeConfig(port: UInt16, in folder: TemporaryDirectory) throws {
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        let config = """
            [backends.comfy]
            kind = "comfyui"
            url = "http://127.0.0.1:\(port)"
            """
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(config.utf8))
    }

    static func promptsPosted(_ port: UInt16) throws -> Int {
        let stats = try JSONParser.parse(try RawHTTPClient(port: port).request("GET", "/_emulator/stats").body)
        return stats["requests"]?["POST /prompt"]?["200"]?.intValue ?? 0
    }

    @Test func aSIGKILLWhileComfyUIMakesThePromptDoesNotSubmitItTwice() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // 20 steps of 150 ms: three seconds in which to kill the daemon.
        let (emulator, port) = try await offPool { try RateLimitRestartTests.startEmulator(["--api", "comfyui", "--step-time", "150"]) }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        try Self.writeConfig(port: port, in: folder)
        let environment = isolatedEnvironment(in: folder)
        var daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: environment) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let models = try await vcctl(socket + ["models"], folder: daemon.folder)
        let model = try #require(models.standardOutput.split(separator: "\n").first.map(String.init), "\(models.standardError)")
        let submitted = try await vcctl(socket + ["submit", "a lantern in the fog", "--model", model, "--steps", "20", "--seed", "7"], folder: daemon.folder)
        let id = String(submitted.standardOutput.filter { !$0.isWhitespace })
        #expect(submitted.status == 0, "\(submitted.standardError)")
        let posted = try await offPool { () -> Bool in
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
            while try Self.promptsPosted(port) == 0, MonotonicInstant.now() < deadline { pauseBriefly() }
            return try Self.promptsPosted(port) == 1
        }
        #expect(posted, "the prompt reached ComfyUI")
        daemon.child.send(.kill)
        _ = try? daemon.child.wait()

        daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: environment) }
        let waited = try await vcctl(["--socket", daemon.socketPath, "--no-start", "wait", id, "--timeout", "60"], folder: daemon.folder)
        #expect(waited.status == 0, "\(waited.standardError)")
        #expect(try Self.promptsPosted(port) == 1, "followed again after the restart, never submitted twice")
        let job = try JSONParser.parse(try await vcctl(["--socket", daemon.socketPath, "--no-start", "get", id, "--json"], folder: daemon.folder).standardOutput)
        let path = try #require(job["images"]?[0]?["path"]?.stringValue)
        let saved = try PNGCodec.decode(try FileSystem.readFile(path))
        #expect(saved.image.width == 512)
        let text = saved.text.first { $0.keyword == "parameters" }?.text ?? ""
        #expect(A1111InfotextParser.parse(text)["Job"] == id, "\(text)")

        // The seconds are ComfyUI's own, from its history's stamps: the
        // restarted daemon saw only the end of the run.
        let history = try JSONParser.parse(try RawHTTPClient(port: port).request("GET", "/history").body)
        let prompt = try #require(history.objectValue?.keys.first, "one prompt: \(history)")
        let messages = history[prompt]?["status"]?["messages"]?.arrayValue ?? []
        func stamp(_ event: String) -> Int64? { messages.first { $0[0]?.stringValue == event }?[1]?["timestamp"]?.int64Value }
        let (start, end) = (try #require(stamp("execution_start")), try #require(stamp("execution_success")))
        let usage = try JSONParser.parse(try await vcctl(["--socket", daemon.socketPath, "--no-start", "usage", "--json"], folder: daemon.folder).standardOutput)
        #expect(usage["days"]?.arrayValue?.count == 1 && usage["days"]?[0]?["requests"] == 1, "\(usage)")
        #expect(usage["days"]?[0]?["seconds"]?.doubleValue == Double(end - start) / 1000, "\(usage) \(messages)")
        #expect(usage["days"]?[0]?["total_tokens"] == nil)
        // Stored beside the daemon's own measure, which keeps its meaning.
        let stored = try await offPool { () -> (Int64?, Int64)? in
            let database = try SQLiteConnection(path: folder.file("state/visioncraft/jobs.sqlite3"))
            return try database.statement("SELECT backend_milliseconds, milliseconds FROM usage").first { ($0.optionalInteger(0), $0.integer(1)) }
        }
        #expect(stored?.0 == end - start && (stored?.1 ?? 0) > 0, "\(String(describing: stored))")
    }

    @Test func aJobWithoutAModelIsRefusedListingTheCheckpoints() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array("[backends.comfy]\nkind = \"comfyui\"\nurl = \"emulator\"\n".utf8))
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder)) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let refused = try await vcctl(socket + ["submit", "a lantern"], folder: daemon.folder)
        #expect(refused.status == 64, "\(refused.standardError)")
        #expect(refused.standardError.contains("needs a model named") && refused.standardError.contains("dreamshaper_8.safetensors"), "\(refused.standardError)")
        let done = try await vcctl(socket + ["submit", "a lantern", "--model", "dreamshaper_8.safetensors", "--wait"], folder: daemon.folder)
        #expect(done.status == 0, "the embedded ComfyUI emulator: \(done.standardError)")
    }

    /// A workflow for the emulator's nodes: a LoRA, KSamplerAdvanced, a
    /// 640x384 latent, a PreviewImage beside the SaveImage.
    static let loraWorkflow = """
        {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "dreamshaper_8.safetensors"}},
         "20": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "add_detail.safetensors",
                "strength_model": 0.6, "strength_clip": 0.6}},
         "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a workflow's own prompt", "clip": ["20", 1]}},
         "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres", "clip": ["20", 1]}},
         "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 640, "height": 384, "batch_size": 1}},
         "3": {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "enable", "noise_seed": 1, "steps": 6, "cfg": 5.5,
               "sampler_name": "dpmpp_2m", "scheduler": "karras", "start_at_step": 0, "end_at_step": 10000, "return_with_leftover_noise": "disable",
               "model": ["20", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
         "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
         "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "lora", "images": ["8", 0]}},
         "10": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}}}
        """

    @Test func aWorkflowOfTheBackendOrTheJobRunsWithTheJobsFieldsWrittenIn() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let flows = folder.file("flows")
        try FileSystem.makeDirectories(flows, permissions: 0o700)
        try FileSystem.writeFileAtomically(flows + "/lora.json", Array(Self.loraWorkflow.utf8))
        let imageWorkflow = Self.loraWorkflow.replacing(
            #""5": {"class_type": "EmptyLatentImage", "inputs": {"width": 640, "height": 384, "batch_size": 1}}"#,
            with: #""11": {"class_type": "LoadImage", "inputs": {"image": "none.png"}}, "5": {"class_type": "VAEEncode", "inputs": {"pixels": ["11", 0], "vae": ["4", 2]}}"#
        )
        try FileSystem.writeFileAtomically(flows + "/image.json", Array(imageWorkflow.utf8))
        try FileSystem.writeFileAtomically(flows + "/ui.json", Array(#"{"last_node_id": 3, "nodes": [], "links": []}"#.utf8))
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        let config = "[backends.comfy]\nkind = \"comfyui\"\nurl = \"emulator\"\nworkflow = \"\(flows)/lora.json\"\n"
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(config.utf8))
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder)) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]

        // No model named: the workflow's checkpoint; its size; the job's count and seed.
        let done = try await vcctl(socket + ["submit", "a lantern in the fog", "-n", "2", "--seed", "11", "--wait", "--json"], folder: daemon.folder)
        #expect(done.status == 0, "\(done.standardError)")
        let job = try JSONParser.parse(done.standardOutput)
        #expect(job["params"]?["model"] == nil && job["params"]?["steps"] == nil, "nothing filled in over the workflow's: \(done.standardOutput)")
        let paths = job["images"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(paths.count == 2, "the SaveImage's batch, not the preview: \(done.standardOutput)")
        let saved = try PNGCodec.decode(try FileSystem.readFile(try #require(paths.first)))
        #expect(saved.image.width == 640 && saved.image.height == 384)
        let sent = try JSONParser.parse(saved.text.first { $0.keyword == "prompt" }?.text ?? "")
        #expect(sent["20"]?["class_type"] == "LoraLoader" && sent["6"]?["inputs"]?["text"] == "a lantern in the fog", "ComfyUI's own record of the graph it ran")
        #expect(sent["3"]?["inputs"]?["noise_seed"]?.intValue == 11 && sent["3"]?["inputs"]?["steps"]?.intValue == 6 && sent["5"]?["inputs"]?["batch_size"]?.intValue == 2)
        let infotext = A1111InfotextParser.parse(saved.text.first { $0.keyword == "parameters" }?.text ?? "")
        #expect(infotext["Seed"] == "11", "the seed read back from the history's graph")

        // A job's own workflow, image to image; the init image goes into its LoadImage.
        let initImage = folder.file("in.png")
        try FileSystem.writeFileAtomically(initImage, try PNGCodec.encode(RGBAImage(width: 96, height: 64)))
        let image = try await vcctl(socket + ["submit", "a lantern", "--workflow", flows + "/image.json", "--init-image", initImage, "--wait", "--json"], folder: daemon.folder)
        #expect(image.status == 0, "\(image.standardError)")
        let imageJob = try JSONParser.parse(image.standardOutput)
        #expect(imageJob["params"]?["workflow"]?.stringValue == flows + "/image.json")
        let imagePath = try #require(imageJob["images"]?[0]?["path"]?.stringValue)
        #expect(try PNGCodec.decode(try FileSystem.readFile(imagePath)).image.width == 96, "the upload's size")

        // Refused at submit, naming the file and what is wrong; nothing reaches ComfyUI.
        let ui = try await vcctl(socket + ["submit", "x", "--workflow", flows + "/ui.json"], folder: daemon.folder)
        #expect(ui.status == 64 && ui.standardError.contains("\(flows)/ui.json: is in ComfyUI's UI format"), "\(ui.standardError)")
        #expect(ui.standardError.contains("--workflow"), "the flag named: \(ui.standardError)")
        let noLoad = try await vcctl(socket + ["submit", "x", "--init-image", initImage], folder: daemon.folder)
        #expect(noLoad.status == 64 && noLoad.standardError.contains("\(flows)/lora.json: has no LoadImage node for the init image"), "\(noLoad.standardError)")
        #expect(noLoad.standardError.contains("the backend's workflow, in the configuration file"), "\(noLoad.standardError)")
        let missing = try await vcctl(socket + ["submit", "x", "--workflow", flows + "/none.json"], folder: daemon.folder)
        #expect(missing.status == 64 && missing.standardError.contains("none.json"), "\(missing.standardError)")

        // The backend's file broken in place: a reload says so and keeps the configuration.
        try FileSystem.writeFileAtomically(flows + "/lora.json", Array(Self.loraWorkflow.replacing("SaveImage", with: "PreviewImage").utf8))
        let reload = try await vcctl(socket + ["daemon", "reload"], folder: daemon.folder)
        #expect(reload.status == 78, "\(reload.standardError)")
        #expect(reload.standardError.contains("backends.comfy.workflow") && reload.standardError.contains("has no SaveImage node"), "\(reload.standardError)")
        #expect(reload.standardError.contains("unchanged"))
    }

    @Test func aBackendsWorkflowThatCannotBeUsedStopsTheStart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        let config = folder.file("config/visioncraft/config.toml")
        try FileSystem.writeFileAtomically(config, Array("[backends.comfy]\nkind = \"comfyui\"\nurl = \"emulator\"\nworkflow = \"\(folder.file("gone.json"))\"\n".utf8))
        let gone = try await offPool { try runProcess(BuiltProducts.path("visioncraftd"), ["--check-config"], environment: isolatedEnvironment(in: folder)) }
        #expect(gone.status == 78 && gone.standardError.contains("backends.comfy.workflow (line 4)") && gone.standardError.contains("gone.json"), "\(gone.standardError)")
        try FileSystem.writeFileAtomically(folder.file("bad.json"), Array("{\"1\": {\"class_type\": \"KSampler\", \"inputs\": {}}".utf8))
        try FileSystem.writeFileAtomically(config, Array("[backends.comfy]\nkind = \"comfyui\"\nurl = \"emulator\"\nworkflow = \"\(folder.file("bad.json"))\"\n".utf8))
        let bad = try await offPool { try runProcess(BuiltProducts.path("visioncraftd"), ["--check-config"], environment: isolatedEnvironment(in: folder)) }
        #expect(bad.status == 78 && bad.standardError.contains("is not JSON") && bad.standardError.contains("line 1, column"), "\(bad.standardError)")
        try FileSystem.writeFileAtomically(config, Array("[backends.forge]\nkind = \"a1111\"\nurl = \"emulator\"\nworkflow = \"/w.json\"\n".utf8))
        let wrongKind = try await offPool { try runProcess(BuiltProducts.path("visioncraftd"), ["--check-config"], environment: isolatedEnvironment(in: folder)) }
        #expect(wrongKind.status == 78 && wrongKind.standardError.contains("a backend of kind a1111 runs no workflow (workflow is for kind comfyui)"), "\(wrongKind.standardError)")
    }
}
