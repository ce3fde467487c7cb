import JSON
import Posix
import Testing
import TestSupport

/// A Retry-After pause outlives the daemon: killed inside the window, the
/// next daemon on the same folder waits out what is left of it before it
/// asks the upstream for anything.
@Suite struct RateLimitRestartTests {
    /// Starts `visioncraft-emulator` with `arguments`; returns it and its port.
    static func startEmulator(_ arguments: [String]) throws -> (ChildProcess, UInt16) {
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: try BuiltProducts.path("visioncraft-emulator"), arguments: ["--port", "0"] + arguments)
        options.standardOutput = .descriptor(output.write)
        options.standardError = .null
        let child = try ChildProcess.spawn(options)
        try output.write.close()
        let announcement = try LineClient(descriptor: output.read).readLine()
        guard let port = announcement.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            child.send(.kill)
            throw TestFailure("no port in '\(announcement)'")
        }
        return (child, port)
    }

    @Test func aRestartInsideARetryAfterWaitsItOut() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (stats, states, log) = try await offPool { () -> (JSON, [JSON?], String) in
            let (emulator, port) = try Self.startEmulator(["--too-many-requests-rate", "1", "--retry-after", "4"])
            defer {
                emulator.send(.kill)
                _ = try? emulator.wait()
            }
            // One request at a time: requests already on their way when the
            // first 429 came would reach a loaded emulator late inside the
            // window and count as early, though the daemon sent them before
            // it knew of the limit (two did, once, on a loaded machine).
            let arguments = ["--upstream", "http://127.0.0.1:\(port)", "--requests-per-minute", "0", "--max-in-flight", "1"]
            let environment = isolatedEnvironment(in: folder, extra: ["VISIONCRAFT_API_KEY": "test-key"])
            var daemon = try DaemonProcess.start(arguments: arguments, folder: folder, environment: environment)
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":0,"method":"events.subscribe"}"#)
            var ids: [String] = []
            for index in 1...3 {
                try client.sendLine(#"{"jsonrpc":"2.0","id":\#(index),"method":"job.submit","params":{"prompt":"fox \#(index)"}}"#)
            }
            // Until the first 429 is recorded on a job.
            var limited = false
            while !limited || ids.count < 3 {
                let message = try JSONParser.parse(try client.readLine())
                if let id = message["result"]?["id"]?.stringValue { ids.append(id) }
                if message["params"]?["error"]?["kind"] == "rate_limited" { limited = true }
            }
            client.close()
            daemon.child.send(.kill)
            _ = try daemon.child.wait()
            let admin = try RawHTTPClient(port: port)
            _ = try admin.request("POST", "/_emulator/faults", body: #"{"too_many_requests_rate":0}"#)
            // The scenario, not a synchronisation: the restart comes half a
            // second into the 4 s window, past the quarter second in which
            // the emulator does not count requests as early (already on their way).
            pauseBriefly(milliseconds: 500)
            daemon = try DaemonProcess.start(arguments: arguments, folder: folder, environment: environment)
            defer { _ = try? daemon.terminate() }
            let waiter = try daemon.connect()
            defer { waiter.close() }
            var states: [JSON?] = []
            for id in ids {
                try waiter.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"job.wait","params":{"id":"\#(id)","timeout_seconds":30}}"#)
                states.append(try JSONParser.parse(try waiter.readLine(timeout: TestTime.scaled(.seconds(40))))["result"]?["job"]?["state"])
            }
            let stats = try JSONParser.parse(try admin.request("GET", "/_emulator/stats").body)
            return (stats, states, daemon.log())
        }
        #expect(states == ["succeeded", "succeeded", "succeeded"])
        #expect(stats["early_requests"] == 0, "generations asked for inside the Retry-After: \(stats)")
        #expect(log.contains("backend visioncraft stays paused for"), "\(log)")
    }
}
