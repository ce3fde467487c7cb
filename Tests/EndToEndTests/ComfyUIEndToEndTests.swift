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
}
