import JSON
import Posix
import Testing
import TestSupport

/// A daemon whose config.toml names two backends, as a user sets it up:
/// jobs go to the default one unless they name another, `vcctl backends`
/// shows both, and one that is down holds up only its own jobs.
@Suite struct BackendsTests {
    /// A daemon over the embedded emulator (the default, `local`) and a
    /// VisionCraft backend that refuses connections (`down`).
    static func daemon(in folder: TemporaryDirectory, refusing: RefusingPort) throws -> DaemonProcess {
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        let config = """
            default_backend = "local"
            [queue]
            retry_base = 600
            [backends.local]
            kind = "visioncraft"
            url = "emulator"
            [backends.down]
            kind = "visioncraft"
            url = "http://127.0.0.1:\(refusing.port)"
            max_in_flight = 1
            """
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(config.utf8))
        return try DaemonProcess.start(
            arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder, extra: ["VISIONCRAFT_API_KEY": "test-key"])
        )
    }

    @Test func jobsRunOnTheBackendTheyNameAndADownOneHoldsUpOnlyItsOwn() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let daemon = try await offPool { try Self.daemon(in: folder, refusing: refusing) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let held = try await vcctl(socket + ["submit", "held", "--backend", "down"], folder: daemon.folder)
        #expect(held.status == 0, "\(held.standardError)")
        let done = try await vcctl(socket + ["submit", "runs", "--wait"], folder: daemon.folder)
        #expect(done.status == 0, "the default backend's job ran while the other's waited: \(done.standardError)")

        let listed = try await vcctl(socket + ["backends", "--json"], folder: daemon.folder)
        #expect(listed.status == 0, "\(listed.standardError)")
        let backends = try #require(try JSONParser.parse(listed.standardOutput)["backends"]?.arrayValue)
        #expect(backends.map { $0["name"] } == ["local", "down"], "in the file's order")
        #expect(backends[0]["default"] == true && backends[0]["emulator"] == true && backends[0]["kind"] == "visioncraft")
        #expect(backends[1]["default"] == false && backends[1]["max_in_flight"] == 1)
        #expect(backends[1]["queued"] == 1 || backends[1]["running"] == 1, "\(backends[1])")
        #expect(backends[0]["health"]?["last_success_at"]?.stringValue != nil)
        #expect(backends[0]["images_today"] == 1 && backends[0]["daily_images"] == .null, "\(backends[0])")
        let usage = try JSONParser.parse(try await vcctl(socket + ["usage", "--json"], folder: daemon.folder).standardOutput)
        #expect(usage["days"]?[0]?["backend"] == "local" && usage["days"]?[0]?["images"] == 1, "\(usage)")
        let usageText = try await vcctl(socket + ["usage", "--since", "7d"], folder: daemon.folder)
        #expect(usageText.standardOutput.contains("local"), "\(usageText.standardOutput)")
        for wrong in ["0d", "7w", "x"] {
            let badDays = try await vcctl(socket + ["usage", "--since", wrong], folder: daemon.folder)
            #expect(badDays.status == 64 && badDays.standardError.contains("--since expects days such as 30d"), "\(wrong): \(badDays.standardError)")
        }
        let text = try await vcctl(socket + ["backends"], folder: daemon.folder)
        #expect(text.standardOutput.contains("* local  visioncraft  http://127.0.0.1:"), "\(text.standardOutput)")
        #expect(text.standardOutput.contains("  down  visioncraft  http://127.0.0.1:"), "\(text.standardOutput)")

        let id = String(held.standardOutput.filter { !$0.isWhitespace })
        let job = try await vcctl(socket + ["get", id, "--json"], folder: daemon.folder)
        let stored = try JSONParser.parse(job.standardOutput)
        #expect(stored["params"]?["backend"] == "down")
        #expect(stored["state"] == "queued" || stored["state"] == "running", "\(stored)")

        let unknown = try await vcctl(socket + ["submit", "x", "--backend", "forge"], folder: daemon.folder)
        #expect(unknown.status == 64)
        #expect(unknown.standardError.contains("--backend no backend is named 'forge' (backends: local, down)"), "\(unknown.standardError)")
        let models = try await vcctl(socket + ["models", "--backend", "local"], folder: daemon.folder)
        #expect(models.status == 0 && models.standardOutput.contains("anything_V5"), "\(models.standardError)")
        // Each backend has its own key: one set for "down" is not "local"'s.
        let set = try await vcctl(socket + ["key", "set", "--backend", "down"], folder: daemon.folder, input: "down-key-123456\n")
        #expect(set.status == 0, "\(set.standardError)")
        let downKey = try await vcctl(socket + ["key", "status", "--backend", "down", "--json"], folder: daemon.folder)
        #expect(try JSONParser.parse(downKey.standardOutput)["source"] == "file", "\(downKey.standardOutput)")
        let localKey = try await vcctl(socket + ["key", "status", "--json"], folder: daemon.folder)
        #expect(try JSONParser.parse(localKey.standardOutput)["source"] == "emulator", "the default backend's: \(localKey.standardOutput)")
        #expect(try FileSystem.status(folder.file("config/visioncraft/key-down")) != nil)
        let noKey = try await vcctl(socket + ["key", "status", "--backend", "forge"], folder: daemon.folder)
        #expect(noKey.status != 0 && noKey.standardError.contains("no backend is named 'forge'"), "\(noKey.standardError)")
        let noModels = try await vcctl(socket + ["models", "--backend", "forge"], folder: daemon.folder)
        #expect(noModels.status != 0)
        #expect(noModels.standardError.contains("no backend is named 'forge' (backends: local, down)"), "\(noModels.standardError)")
    }

    /// One `jobs.model` cannot name both a ComfyUI checkpoint and a
    /// VisionCraft model: each backend's section gives its jobs their own
    /// defaults, which a reload applies without a restart.
    @Test func eachBackendGivesItsJobsItsOwnDefaultsAndAReloadAppliesThem() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        func config(model: String) -> String {
            """
            default_backend = "comfy"
            [jobs]
            steps = 12
            [backends.comfy]
            kind = "comfyui"
            url = "emulator"
            model = "\(model)"
            steps = 40
            [backends.vc]
            kind = "visioncraft"
            url = "emulator"
            """
        }
        let file = folder.file("config/visioncraft/config.toml")
        try FileSystem.writeFileAtomically(file, Array(config(model: "dreamshaper_8.safetensors").utf8))
        let daemon = try await offPool {
            try DaemonProcess.start(
                arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder, extra: ["VISIONCRAFT_API_KEY": "test-key"])
            )
        }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        func params(_ arguments: [String]) async throws -> JSON? {
            let submitted = try await vcctl(socket + ["submit"] + arguments, folder: daemon.folder)
            #expect(submitted.status == 0, "\(submitted.standardError)")
            let id = String(submitted.standardOutput.filter { !$0.isWhitespace })
            return try JSONParser.parse(try await vcctl(socket + ["get", id, "--json"], folder: daemon.folder).standardOutput)["params"]
        }
        let comfy = try await params(["a lantern"])
        #expect(comfy?["model"] == "dreamshaper_8.safetensors" && comfy?["steps"]?.intValue == 40, "the backend's own: \(comfy.map(String.init(describing:)) ?? "")")
        let visionCraft = try await params(["a lantern", "--backend", "vc"])
        #expect(visionCraft?["model"] == "anything_V5" && visionCraft?["steps"]?.intValue == 12, "jobs.* and the backend's rules elsewhere")

        try FileSystem.writeFileAtomically(file, Array(config(model: "nope.safetensors").utf8))
        let reload = try await vcctl(socket + ["--json", "daemon", "reload"], folder: daemon.folder)
        #expect(reload.status == 0, "\(reload.standardError)")
        let report = try JSONParser.parse(reload.standardOutput)
        #expect(report["changed"]?.arrayValue?.compactMap(\.stringValue) == ["backends.comfy.model"], "\(reload.standardOutput)")
        #expect(report["restart_needed"]?.arrayValue?.isEmpty == true, "\(reload.standardOutput)")
        let refused = try await vcctl(socket + ["submit", "a lantern"], folder: daemon.folder)
        #expect(refused.status == 64, "the reloaded default is checked: \(refused.standardError)")
        #expect(refused.standardError.contains("it is backends.comfy.model in the configuration file"), "\(refused.standardError)")
    }

    @Test func aWrongBackendSectionStopsTheStartNamingTheLine() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array("[backends.gpu]\nkind = \"comfy\"\nurl = \"http://h\"\n".utf8))
        let check = try await offPool {
            try runProcess(BuiltProducts.path("visioncraftd"), ["--check-config"], environment: isolatedEnvironment(in: folder))
        }
        #expect(check.status == 78)
        #expect(check.standardError.contains("line 2") || check.standardError.contains(":2:"), "\(check.standardError)")
        #expect(check.standardError.contains("unknown kind 'comfy' (kinds: visioncraft, a1111, comfyui, openai)"), "\(check.standardError)")
        // Beside [backends.*], --upstream names nothing: refused, not ignored.
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array("[backends.gpu]\nkind = \"visioncraft\"\nurl = \"http://h\"\n".utf8))
        let flagged = try await offPool {
            try runProcess(BuiltProducts.path("visioncraftd"), ["--check-config", "--emulator"], environment: isolatedEnvironment(in: folder))
        }
        #expect(flagged.status == 78)
        #expect(flagged.standardError.contains("give each its url in [backends.NAME]"), "\(flagged.standardError)")
    }
}
