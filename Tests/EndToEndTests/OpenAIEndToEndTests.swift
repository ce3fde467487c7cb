import Imaging
import JSON
import Posix
import Testing
import TestSupport

/// The daemon in front of an OpenAI images API (the emulator's
/// `--api openai`), as a user with an OpenAI key sets it up: the key goes as
/// a Bearer token to that backend only, the images come back saved, and a
/// used-up quota pauses the backend's jobs instead of failing them.
@Suite struct OpenAIEndToEndTests {
    /// A daemon whose default backend, `openai`, is the server at `port`,
    /// beside the backends `others` configures.
    static func daemon(
        port: UInt16, in folder: TemporaryDirectory, others: String = "[backends.visioncraft]\nkind = \"visioncraft\"\nurl = \"emulator\""
    ) throws -> DaemonProcess {
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        let config = """
            default_backend = "openai"
            [backends.openai]
            kind = "openai"
            url = "http://127.0.0.1:\(port)"
            \(others)
            """
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array(config.utf8))
        return try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder))
    }

    @Test func aJobOnTheOpenAIBackendIsSavedAndAUsedUpQuotaPausesIt() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (emulator, port) = try await offPool {
            try RateLimitRestartTests.startEmulator(["--api", "openai", "--api-key", "sk-test-123456", "--quota-images", "2"])
        }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        let daemon = try await offPool { try Self.daemon(port: port, in: folder) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]

        let models = try await vcctl(socket + ["models"], folder: daemon.folder)
        #expect(models.status != 0, "no key yet: the server refuses the list")
        let set = try await vcctl(socket + ["key", "set"], folder: daemon.folder, input: "sk-test-123456\n")
        #expect(set.status == 0, "\(set.standardError)")
        let listed = try await vcctl(socket + ["models", "--refresh"], folder: daemon.folder)
        #expect(listed.standardOutput.contains("gpt-image-1"), "\(listed.standardOutput) \(listed.standardError)")

        let refused = try await vcctl(socket + ["submit", "x", "--steps", "20"], folder: daemon.folder)
        #expect(refused.status == 64 && refused.standardError.contains("--steps"), "the API takes no steps: \(refused.standardError)")

        let done = try await vcctl(socket + ["submit", "a red kite", "-n", "2", "--model", "GPT-IMAGE-1", "--wait"], folder: daemon.folder)
        #expect(done.status == 0, "\(done.standardError)")
        let paths = done.standardOutput.split(separator: "\n").map(String.init)
        #expect(paths.count == 2)
        for path in paths {
            let saved = try PNGCodec.decode(try FileSystem.readFile(path))
            #expect(saved.image.width == 1024, "the API's default size")
            let text = saved.text.first { $0.keyword == "parameters" }?.text ?? ""
            #expect(A1111InfotextParser.parse(text)["Model"] == "gpt-image-1", "stored as the catalog spells it: \(text)")
        }

        // The emulator's quota is 2 images: the next job waits, not fails.
        let submitted = try await vcctl(socket + ["submit", "one more"], folder: daemon.folder)
        let id = String(submitted.standardOutput.filter { !$0.isWhitespace })
        let waited = try await vcctl(socket + ["wait", id, "--timeout", "30"], folder: daemon.folder)
        #expect(waited.status == 77, "waits for the key to be set again: \(waited.standardError)")
        let job = try JSONParser.parse(try await vcctl(socket + ["get", id, "--json"], folder: daemon.folder).standardOutput)
        #expect(job["state"] == "queued" && job["error"]?["kind"] == "quota", "\(job)")
        #expect(job["attempts"] == 0, "no attempt spent")
        let key = try JSONParser.parse(try await vcctl(socket + ["key", "status", "--json"], folder: daemon.folder).standardOutput)
        #expect(key["state"] == "rejected", "\(key)")
    }

    /// What a GPT image model's answer says in `usage` is what `usage.list`
    /// and `vcctl usage` show; a local model's answer says nothing, and
    /// nothing is shown for it (no 0, no guess).
    @Test func theTokensAGPTImageModelReportsAreTheUsageAndALocalModelShowsNone() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (emulator, port) = try await offPool { try RateLimitRestartTests.startEmulator(["--api", "openai", "--api-key", "sk-test-123456"]) }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        // A second backend on the same server, for a local model's answers.
        let daemon = try await offPool { try Self.daemon(port: port, in: folder, others: "[backends.local]\nkind = \"openai\"\nurl = \"http://127.0.0.1:\(port)\"") }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        for backend in ["openai", "local"] {
            let set = try await vcctl(socket + ["key", "set", "--backend", backend], folder: daemon.folder, input: "sk-test-123456\n")
            #expect(set.status == 0, "\(set.standardError)")
        }
        let prompt = "a red kite over the dunes"
        let made = try await vcctl(socket + ["submit", prompt, "-n", "2", "--model", "gpt-image-1", "--wait"], folder: daemon.folder)
        #expect(made.status == 0, "\(made.standardError)")
        let local = try await vcctl(socket + ["submit", prompt, "--backend", "local", "--model", "stablediffusion", "--wait"], folder: daemon.folder)
        #expect(local.status == 0, "\(local.standardError)")

        // The emulator's usage (OpenAIService.swift): a token per 4 bytes of
        // prompt in, OpenAI's table out (1056 for a medium square image).
        let input = (prompt.utf8.count + 3) / 4
        let output = 2 * 1056
        let usage = try JSONParser.parse(try await vcctl(socket + ["usage", "--json"], folder: daemon.folder).standardOutput)
        let days = usage["days"]?.arrayValue ?? []
        let gpt = try #require(days.first { $0["backend"] == "openai" }, "\(usage)")
        #expect(gpt["requests"] == 1 && gpt["images"] == 2)
        #expect(gpt["input_tokens"]?.intValue == input && gpt["output_tokens"]?.intValue == output, "\(gpt)")
        #expect(gpt["total_tokens"]?.intValue == input + output, "\(gpt)")
        let none = try #require(days.first { $0["backend"] == "local" }, "\(usage)")
        #expect(none["images"] == 1)
        for field in ["input_tokens", "output_tokens", "total_tokens"] { #expect(none[field] == nil, "\(field) is not reported: \(none)") }

        let table = try await vcctl(socket + ["usage"], folder: daemon.folder)
        let rows = table.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first?.last == "tokens", "\(table.standardOutput)")
        #expect(rows.first { $0.dropFirst().first == "openai" }?.last == String(input + output), "\(table.standardOutput)")
        #expect(rows.first { $0.dropFirst().first == "local" }?.last == "-", "\(table.standardOutput)")
    }

    /// `url = "emulator"` for an openai backend serves OpenAI's emulator
    /// inside the daemon: offline, no key.
    /// OpenAI's 429 (`rate_limit_exceeded`, with `retry-after-ms` and
    /// Retry-After) pauses the backend for that long: the job is retried
    /// after it, nothing is sent inside it, and it succeeds.
    @Test func aRateLimitOfOpenAIIsWaitedOut() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (stats, state, kinds) = try await offPool { () -> (JSON, JSON?, [String]) in
            let (emulator, port) = try RateLimitRestartTests.startEmulator(["--api", "openai", "--too-many-requests-rate", "1", "--retry-after", "2"])
            defer {
                emulator.send(.kill)
                _ = try? emulator.wait()
            }
            let daemon = try Self.daemon(port: port, in: folder)
            defer { daemon.cleanUp() }
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":0,"method":"events.subscribe"}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"a fox","model":"gpt-image-1"}}"#)
            var id: String?
            var kinds: [String] = []
            // Until the 429 is recorded on the job; then the limit lifts.
            while !kinds.contains("rate_limited") || id == nil {
                let message = try JSONParser.parse(try client.readLine())
                if let submitted = message["result"]?["id"]?.stringValue { id = submitted }
                if let kind = message["params"]?["error"]?["kind"]?.stringValue { kinds.append(kind) }
            }
            let admin = try RawHTTPClient(port: port)
            _ = try admin.request("POST", "/_emulator/faults", body: #"{"too_many_requests_rate":0}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"job.wait","params":{"id":"\#(id ?? "")","timeout_seconds":30}}"#)
            var state: JSON?
            while state == nil {
                let message = try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(.seconds(40))))
                if message["id"] == 2 { state = message["result"]?["job"]?["state"] ?? .null }
            }
            return (try JSONParser.parse(try admin.request("GET", "/_emulator/stats").body), state, kinds)
        }
        #expect(state == "succeeded", "\(kinds)")
        #expect(kinds.allSatisfy { $0 == "rate_limited" }, "a 429 is no failure of the job: \(kinds)")
        #expect(stats["early_requests"] == 0, "nothing sent inside the Retry-After: \(stats)")
        #expect((stats["requests"]?["POST /v1/images/generations"]?["429"]?.intValue ?? 0) >= 1, "\(stats)")
    }

    @Test func theEmbeddedOpenAIEmulatorServesAnOpenAIBackend() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array("[backends.images]\nkind = \"openai\"\nurl = \"emulator\"\n".utf8))
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder)) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let done = try await vcctl(socket + ["submit", "a paper boat", "--wait"], folder: daemon.folder)
        #expect(done.status == 0, "\(done.standardError)")
        let path = done.standardOutput.split(separator: "\n").first.map(String.init) ?? ""
        #expect(try PNGCodec.verify(try FileSystem.readFile(path)) == (1024, 1024))
        let listed = try JSONParser.parse(try await vcctl(socket + ["backends", "--json"], folder: daemon.folder).standardOutput)
        #expect(listed["backends"]?[0]?["emulator"] == true && listed["backends"]?[0]?["kind"] == "openai", "\(listed)")
    }
}
