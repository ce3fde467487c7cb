import JSON
import Posix
import Testing
import TestSupport

/// `vcctl status` says how the upstream has been doing: a user whose jobs
/// stopped moving sees the last failure and its reason, a pause and when the
/// next attempt comes, without reading the log.
@Suite struct UpstreamHealthTests {
    func status(_ daemon: DaemonProcess, json: Bool) async throws -> ProcessOutput {
        try await vcctl(["--socket", daemon.socketPath, "--no-start"] + (json ? ["--json"] : []) + ["status"], folder: daemon.folder)
    }

    /// Reads messages on `client` until one satisfies `done`; returns it.
    @discardableResult
    static func read(_ client: LineClient, until done: (JSON) -> Bool) throws -> JSON {
        while true {
            let message = try JSONParser.parse(try client.readLine())
            if done(message) { return message }
        }
    }

    /// Submits a job to `daemon` and waits for the event that satisfies `seen`; returns it.
    @discardableResult
    static func submit(to daemon: DaemonProcess, until seen: @escaping @Sendable (JSON) -> Bool) async throws -> JSON {
        try await offPool {
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":0,"method":"events.subscribe"}"#)
            try read(client) { $0["id"] == 0 }
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"a fox"}}"#)
            return try read(client, until: seen)
        }
    }

    /// The upstream's health once it shows a next attempt: a retry whose
    /// jittered wait ends while the status is read shows none until it fails.
    func waitingHealth(_ daemon: DaemonProcess) async throws -> JSON {
        let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
        while true {
            let health = try #require(try JSONParser.parse(try await status(daemon, json: true).standardOutput)["upstream"]?["health"])
            if health["next_attempt_at"] != .null || MonotonicInstant.now() > deadline { return health }
        }
    }

    @Test func aSucceededGenerationIsTheLastSuccessAndNothingFailed() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let before = try JSONParser.parse(try await status(daemon, json: true).standardOutput)
        #expect(before["upstream"]?["health"]?["last_success_at"] == .null)
        let submitted = try await vcctl(["--socket", daemon.socketPath, "--no-start", "submit", "a fox", "--wait"], folder: daemon.folder)
        #expect(submitted.status == 0, "\(submitted.standardError)")
        let health = try #require(try JSONParser.parse(try await status(daemon, json: true).standardOutput)["upstream"]?["health"])
        let success = try #require(health["last_success_at"]?.stringValue)
        #expect(WallClock(iso8601: success) != nil)
        #expect(health["last_failure"] == .null && health["pause"] == .null && health["next_attempt_at"] == .null)
        let text = try await status(daemon, json: false).standardOutput
        #expect(text.contains("  last success \(success)"), "\(text)")
        #expect(!text.contains("last failure"))
    }

    @Test func failuresAPauseAndTheNextAttemptAreShown() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // The first retry waits long enough to be seen waiting.
        try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array("[queue]\nretry_base = 600\n".utf8))
        let (emulator, port) = try await offPool { try RateLimitRestartTests.startEmulator(["--error-rate", "1", "--retry-after", "900"]) }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        let daemon = try await offPool {
            try DaemonProcess.start(
                arguments: ["--upstream", "http://127.0.0.1:\(port)", "--requests-per-minute", "0"], folder: folder,
                environment: isolatedEnvironment(in: folder, extra: ["VISIONCRAFT_API_KEY": "test-key"])
            )
        }
        defer { daemon.cleanUp() }
        let event = try await Self.submit(to: daemon) { $0["params"]?["error"]?["kind"] == "transient" && $0["params"]?["next_attempt_at"] != .null }
        var health = try await waitingHealth(daemon)
        #expect(health["last_success_at"] == .null)
        #expect(health["last_failure"]?["kind"] == "transient")
        // The jitter may draw a retry that comes before the status is read
        // (a wait between zero and the bound): then a later failure is shown.
        if health["next_attempt_at"] == event["params"]?["next_attempt_at"] {
            #expect(health["last_failure"]?["message"] == event["params"]?["error"]?["message"], "the job's own failure: \(health) \(event)")
        } else {
            #expect(health["last_failure"]?["message"]?.stringValue?.hasPrefix("temporary failure: ") == true, "\(health)")
        }
        let next = try #require(health["next_attempt_at"]?.stringValue.flatMap(WallClock.init(iso8601:)))
        #expect(next.milliseconds > WallClock.now().milliseconds)
        var text = try await status(daemon, json: false).standardOutput
        #expect(text.contains("  last success none since the start"), "\(text)")
        #expect(text.contains("  last failure ") && text.contains("transient: "), "\(text)")
        #expect(text.contains("  next attempt \(health["next_attempt_at"]?.stringValue ?? "?")"), "\(text)")

        // Now a rate limit: the whole queue pauses for the Retry-After.
        let admin = try RawHTTPClient(port: port)
        _ = try admin.request("POST", "/_emulator/faults", body: #"{"server_error_rate":0,"too_many_requests_rate":1}"#)
        try await Self.submit(to: daemon) { $0["params"]?["error"]?["kind"] == "rate_limited" }
        health = try #require(try JSONParser.parse(try await status(daemon, json: true).standardOutput)["upstream"]?["health"])
        #expect(health["last_failure"]?["kind"] == "rate_limited")
        let until = try #require(health["pause"]?["until"]?.stringValue.flatMap(WallClock.init(iso8601:)))
        #expect(until.milliseconds > WallClock.now().milliseconds + 800_000, "the emulator's Retry-After is 900 s")
        #expect(health["pause"]?["reason"]?.stringValue?.isEmpty == false)
        text = try await status(daemon, json: false).standardOutput
        #expect(text.contains("  paused until \(health["pause"]?["until"]?.stringValue ?? "?"): "), "\(text)")
    }
}
