import Imaging
import JSON
import Posix
import Testing
import TestSupport

/// The daemon in front of an AUTOMATIC1111 server (the emulator's
/// `--api a1111`), as a user with a GPU box sets it up: a job submitted with
/// `--backend` comes back as a saved PNG carrying the server's own infotext
/// for that image, with the job's pairs on its parameter line.
@Suite struct A1111EndToEndTests {
    static func config(port: UInt16) -> String {
        """
        default_backend = "forge"
        [backends.forge]
        kind = "a1111"
        url = "http://127.0.0.1:\(port)"
        [backends.visioncraft]
        kind = "visioncraft"
        url = "emulator"
        """
    }

    @Test func aJobOnTheA1111BackendIsSavedWithTheServersInfotext() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (emulator, port) = try await offPool { try RateLimitRestartTests.startEmulator(["--api", "a1111"]) }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(Self.config(port: port).utf8))
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder)) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]

        let models = try await vcctl(socket + ["models"], folder: daemon.folder)
        #expect(models.status == 0, "\(models.standardError)")
        let model = try #require(models.standardOutput.split(separator: "\n").first.map(String.init))
        let submitted = try await vcctl(
            socket + ["submit", "a lighthouse, at dusk", "--negative", "blurry", "-n", "2", "--seed", "42", "--steps", "12", "--cfg", "6.5",
                      "--model", model.lowercased(), "--width", "64", "--height", "48", "--wait", "--json"],
            folder: daemon.folder
        )
        #expect(submitted.status == 0, "no key needed, no VisionCraft key sent: \(submitted.standardError)")
        let job = try JSONParser.parse(submitted.standardOutput)
        let paths = (job["images"]?.arrayValue ?? job[0]?["images"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
        #expect(paths.count == 2, "\(submitted.standardOutput)")
        let id = job["id"]?.stringValue ?? job[0]?["id"]?.stringValue ?? ""
        for (index, path) in paths.enumerated() {
            let saved = try PNGCodec.decode(try FileSystem.readFile(path))
            #expect(saved.image.width == 64 && saved.image.height == 48)
            let texts = saved.text.filter { $0.keyword == "parameters" }
            #expect(texts.count == 1, "one parameters chunk: \(texts)")
            let read = A1111InfotextParser.parse(texts.first?.text ?? "")
            #expect(read["Prompt"] == "a lighthouse, at dusk" && read["Negative prompt"] == "blurry", "\(read)")
            #expect(read["Seed"] == String(42 + index), "the server's seed for each image: \(read)")
            #expect(read["Steps"] == "12" && read["CFG scale"] == "6.5", "\(read)")
            #expect(read["Model"] != nil && read["Job"] == id && read["Image"] == "\(index + 1) of 2", "\(read)")
        }
        let stored = try JSONParser.parse(try await vcctl(socket + ["get", id, "--json"], folder: daemon.folder).standardOutput)
        #expect(stored["params"]?["backend"] == "forge")
        #expect(stored["params"]?["model"]?.stringValue == model, "stored as the server spells it")

        let badSampler = try await vcctl(socket + ["submit", "x", "--sampler", "Eulr a"], folder: daemon.folder)
        #expect(badSampler.status == 64)
        #expect(badSampler.standardError.contains("--sampler") && badSampler.standardError.contains("did you mean 'Euler a'"), "[\(badSampler.standardError)]")
    }

    /// AUTOMATIC1111 makes the images on its loaded model when it has no
    /// checkpoint of the name it is sent (processing.py drops the
    /// override): a job the submit could not check (the server was down)
    /// then fails with "Model not found", instead of saving images of
    /// another model as its own.
    @Test func aModelTheServerLacksFailsTheJobInsteadOfRunningOnAnother() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // A port that refuses until the server comes up on it (held, so
        // that no parallel test's server takes it meanwhile).
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        // Retried quickly while the server is down.
        let config = Self.config(port: port).replacing("[backends.visioncraft]", with: "max_attempts = 100\nretry_base = 0.05\n[backends.visioncraft]")
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(config.utf8))
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder)) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let submitted = try await vcctl(socket + ["submit", "a lighthouse", "--model", "sdxl_turbo.safetensors"], folder: daemon.folder)
        #expect(submitted.status == 0, "accepted unchecked while the server is down: \(submitted.standardError)")
        let id = String(submitted.standardOutput.filter { !$0.isWhitespace })
        refusing.close()
        let (emulator, _) = try await offPool { try RateLimitRestartTests.startEmulator(["--api", "a1111", "--port", String(port)]) }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        let waited = try await vcctl(socket + ["wait", id, "--timeout", "60"], folder: daemon.folder)
        #expect(waited.status != 0)
        let job = try JSONParser.parse(try await vcctl(socket + ["get", id, "--json"], folder: daemon.folder).standardOutput)
        #expect(job["state"] == "failed" && job["error"]?["kind"] == "invalid", "\(job)")
        let message = job["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("Model not found: the server has no model 'sdxl_turbo.safetensors'"), "\(message)")
        #expect(job["images"]?.arrayValue?.contains { $0["path"]?.stringValue != nil } != true, "nothing saved as the job's: \(job)")
    }

    /// `url = "emulator"` for an a1111 backend serves AUTOMATIC1111's
    /// emulator inside the daemon: offline, no key.
    @Test func theEmbeddedA1111EmulatorServesAnA1111Backend() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array("[backends.gpu]\nkind = \"a1111\"\nurl = \"emulator\"\n".utf8))
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder)) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let listed = try JSONParser.parse(try await vcctl(socket + ["backends", "--json"], folder: daemon.folder).standardOutput)
        let backend = try #require(listed["backends"]?[0])
        #expect(backend["name"] == "gpu" && backend["kind"] == "a1111" && backend["emulator"] == true && backend["key"] == "not_needed", "\(backend)")
        let done = try await vcctl(socket + ["submit", "a quiet harbour", "--wait"], folder: daemon.folder)
        #expect(done.status == 0, "\(done.standardError)")
        let path = done.standardOutput.split(separator: "\n").first.map(String.init) ?? ""
        let text = try PNGCodec.decode(try FileSystem.readFile(path)).text.first { $0.keyword == "parameters" }?.text ?? ""
        #expect(A1111InfotextParser.parse(text)["Prompt"] == "a quiet harbour", "\(text)")
    }

    /// A server started with --api-auth takes the backend's own key as
    /// user:password (for its lists too), and never VisionCraft's.
    @Test func aServerBehindApiAuthTakesTheBackendsOwnKey() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (emulator, port) = try await offPool { try RateLimitRestartTests.startEmulator(["--api", "a1111", "--api-auth", "ada:s3cret-pass"]) }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(Self.config(port: port).utf8))
        let daemon = try await offPool {
            try DaemonProcess.start(
                arguments: ["--requests-per-minute", "0"], folder: folder,
                environment: isolatedEnvironment(in: folder, extra: ["VISIONCRAFT_API_KEY": "vc-key-not-for-forge"])
            )
        }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let refused = try await vcctl(socket + ["submit", "x", "--wait"], folder: daemon.folder)
        #expect(refused.status != 0, "no key for forge: the server refuses, VisionCraft's key is not sent")
        #expect(!refused.standardError.contains("vc-key-not-for-forge"))
        let set = try await vcctl(socket + ["key", "set", "--backend", "forge"], folder: daemon.folder, input: "ada:s3cret-pass\n")
        #expect(set.status == 0, "\(set.standardError)")
        let models = try await vcctl(socket + ["models", "--backend", "forge", "--refresh"], folder: daemon.folder)
        #expect(models.status == 0 && !models.standardOutput.isEmpty, "the lists with the key: \(models.standardError)")
        let done = try await vcctl(socket + ["submit", "a fox", "--wait"], folder: daemon.folder)
        #expect(done.status == 0, "\(done.standardError)")
    }
}
