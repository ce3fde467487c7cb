import JSON
import Posix
import Testing
import TestSupport

/// The daemon in front of ComfyUI (the emulator's `--api comfyui`) reads
/// its websocket while it follows a prompt: `job.updated` events say how
/// far the sampler is. Without the websocket, polling alone still brings
/// the job home.
@Suite struct ComfyUIProgressEndToEndTests {
    /// Submits a job (20 steps) on a subscribed connection and returns the
    /// job's `job.updated` params up to and including its last one.
    static func submitAndWatch(_ daemon: DaemonProcess) async throws -> [JSON] {
        try await offPool {
            let client = try daemon.connect()
            defer { client.close() }
            try client.sendLine(#"{"jsonrpc":"2.0","id":0,"method":"events.subscribe"}"#)
            try UpstreamHealthTests.read(client) { $0["id"] == 0 }
            let params = #"{"prompt":"a lantern in the fog","model":"dreamshaper_8.safetensors","steps":20,"seed":7}"#
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":\#(params)}"#)
            let id = try #require(try UpstreamHealthTests.read(client) { $0["id"] == 1 }["result"]?["id"]?.stringValue)
            var updates: [JSON] = []
            try UpstreamHealthTests.read(client) { message in
                guard message["method"] == "job.updated", let update = message["params"], update["id"]?.stringValue == id else { return false }
                updates.append(update)
                let state = update["state"]?.stringValue ?? ""
                return ["succeeded", "failed", "cancelled"].contains(state)
            }
            return updates
        }
    }

    /// The job's updates from a daemon in front of `visioncraft-emulator
    /// --api comfyui` with `arguments`.
    static func updates(emulator arguments: [String]) async throws -> [JSON] {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (emulator, port) = try await offPool { try RateLimitRestartTests.startEmulator(["--api", "comfyui"] + arguments) }
        defer {
            emulator.send(.kill)
            _ = try? emulator.wait()
        }
        try ComfyUIEndToEndTests.writeConfig(port: port, in: folder)
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: ["--requests-per-minute", "0"], folder: folder, environment: isolatedEnvironment(in: folder))
        }
        defer { daemon.cleanUp() }
        return try await submitAndWatch(daemon)
    }

    @Test func jobUpdatedEventsCarryTheSamplersProgress() async throws {
        // 20 steps of 200 ms: four seconds, in which the scheduler asks every second.
        let updates = try await Self.updates(emulator: ["--step-time", "200"])
        #expect(updates.last?["state"] == "succeeded", "\(updates)")
        let progress = updates.dropLast().compactMap { $0["progress"]?.doubleValue }
        #expect(progress.count >= 2, "progress was told while ComfyUI sampled: \(updates)")
        #expect(zip(progress, progress.dropFirst()).allSatisfy { $0 < $1 }, "it only grows: \(progress)")
        #expect(progress.allSatisfy { $0 > 0 && $0 <= 1 }, "\(progress)")
        #expect(updates.contains { $0["remaining_seconds"]?.doubleValue != nil }, "the steps left at the pace seen: \(updates)")
    }

    @Test func aWebsocketThatCannotConnectLeavesTheJobToPolling() async throws {
        let updates = try await Self.updates(emulator: ["--step-time", "50", "--no-websocket"])
        #expect(updates.last?["state"] == "succeeded", "\(updates)")
        #expect(updates.allSatisfy { $0["progress"] == nil }, "no progress without the websocket: \(updates)")
    }
}
