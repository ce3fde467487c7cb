import JSON
import Posix
import Testing
import TestSupport

/// A job the daemon does not survive (an out-of-memory kill, a plugin that
/// brings it down) counts an attempt at every start, and fails as `crashed`
/// at the attempt limit instead of crash-looping forever; a graceful stop
/// counts nothing.
@Suite struct InterruptedJobTests {
    /// The emulator answers generations after a minute: a job stays running,
    /// and only one (the next waits in the queue, untouched by the kills).
    static let stuckArguments = ["--emulator", "--max-attempts", "2", "--max-in-flight", "1", "--emulator-faults", #"{"latency_ms":60000}"#]

    /// Submits a job on a subscribed connection and returns its id once an
    /// event says it runs.
    static func submitAndWaitUntilRunning(_ daemon: DaemonProcess, prompt: String) throws -> String {
        let client = try daemon.connect()
        defer { client.close() }
        try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"#)
        try client.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"job.submit","params":{"prompt":"\#(prompt)"}}"#)
        var id: String?
        while true {
            let message = try JSONParser.parse(try client.readLine())
            if message["id"] == 2 { id = message["result"]?["id"]?.stringValue }
            if message["method"] == "job.updated", message["params"]?["state"] == "running", let id, message["params"]?["id"]?.stringValue == id {
                return id
            }
        }
    }

    /// Waits for a job that was running before the restart to run again.
    static func waitUntilRunning(_ daemon: DaemonProcess, _ id: String) throws {
        let client = try daemon.connect()
        defer { client.close() }
        try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"#)
        _ = try client.readLine()
        try client.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"job.get","params":{"id":"\#(id)"}}"#)
        while true {
            let message = try JSONParser.parse(try client.readLine())
            if message["id"] == 2, message["result"]?["state"] == "running" { return }
            if message["method"] == "job.updated", message["params"]?["id"]?.stringValue == id, message["params"]?["state"] == "running" { return }
        }
    }

    static func call(_ daemon: DaemonProcess, _ method: String, _ params: String) throws -> JSON {
        let client = try daemon.connect()
        defer { client.close() }
        try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#)
        // Longer than any job.wait below: its answer, not the read, ends the wait.
        return try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(.seconds(120))))
    }

    @Test func aJobTheDaemonKeepsDyingOnFailsAsCrashedAndTheQueueMovesOn() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (afterFirst, poison, next, log) = try await offPool { () -> (JSON, JSON, JSON, String) in
            // Start 1: the job runs; the daemon dies under it.
            var daemon = try DaemonProcess.start(arguments: Self.stuckArguments, folder: folder)
            let id = try Self.submitAndWaitUntilRunning(daemon, prompt: "poison")
            let second = try Self.call(daemon, "job.submit", #"{"prompt":"innocent"}"#)["result"]?["id"]?.stringValue ?? ""
            daemon.child.send(.kill)
            _ = try daemon.child.wait()
            // Start 2: the same job runs again (attempt 1 of 2 was counted); dies again.
            daemon = try DaemonProcess.start(arguments: Self.stuckArguments, folder: folder)
            try Self.waitUntilRunning(daemon, id)
            let afterFirst = try Self.call(daemon, "job.get", #"{"id":"\#(id)"}"#)["result"] ?? .null
            daemon.child.send(.kill)
            _ = try daemon.child.wait()
            // Start 3, with a working upstream: the poison job is not started again.
            daemon = try DaemonProcess.start(arguments: ["--emulator", "--max-attempts", "2"], folder: folder)
            defer { _ = try? daemon.terminate() }
            let poison = try Self.call(daemon, "job.get", #"{"id":"\#(id)"}"#)["result"] ?? .null
            let next = try Self.call(daemon, "job.wait", #"{"id":"\#(second)","timeout_seconds":60}"#)["result"]?["job"] ?? .null
            return (afterFirst, poison, next, daemon.log())
        }
        #expect(afterFirst["attempts"] == 1, "\(afterFirst)")
        #expect(afterFirst["error"]?["kind"] == "crashed")
        #expect(poison["state"] == "failed", "\(poison)")
        #expect(poison["attempts"] == 2)
        #expect(poison["error"]?["kind"] == "crashed")
        #expect(poison["error"]?["message"]?.stringValue?.contains("attempt 2 of 2") == true)
        #expect(next["state"] == "succeeded", "\(next)")
        #expect(log.contains("failed: the daemon stopped while working on it 2 times (crashed)"))
    }

    @Test func aGracefulStopCountsNoAttempt() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (job, stop, log) = try await offPool { () -> (JSON, ChildProcess.Termination, String) in
            var daemon = try DaemonProcess.start(arguments: Self.stuckArguments, folder: folder)
            let id = try Self.submitAndWaitUntilRunning(daemon, prompt: "stopped")
            let stop = try daemon.terminate()
            // Both daemons log to the same file.
            daemon = try DaemonProcess.start(arguments: ["--emulator"], folder: folder)
            defer { _ = try? daemon.terminate() }
            let job = try Self.call(daemon, "job.wait", #"{"id":"\#(id)","timeout_seconds":60}"#)["result"]?["job"] ?? .null
            return (job, stop, daemon.log())
        }
        #expect(stop == .exited(0))
        #expect(job["state"] == "succeeded", "\(job)")
        #expect(job["attempts"] == 0, "\(log)")
        #expect(log.contains("requeued 1 job(s) this stop interrupted"), "\(log)")
    }
}
