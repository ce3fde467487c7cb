import JSON
import Posix
import Testing
import TestSupport

/// `--json` prints one JSON value per run wherever it is offered (`watch`
/// alone streams one object per line).
@Suite struct JSONOutputTests {
    /// The whole standard output as one JSON value (NDJSON of two values
    /// does not parse as one).
    func oneValue(_ output: ProcessOutput, _ what: String) throws -> JSON {
        #expect(output.status == 0, "\(what): \(output.standardError)")
        do {
            return try JSONParser.parse(output.standardOutput)
        } catch {
            throw TestFailure("\(what) --json is not one JSON value (\(error)): \(output.standardOutput)")
        }
    }

    @Test func submitFromStandardInputAndWaitingForSeveralJobsPrintOneArray() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]

        let two = try oneValue(try await vcctl(socket + ["--json", "submit", "-"], folder: daemon.folder, input: "a red fox\na blue whale\n"), "submit -")
        let ids = try #require(two.arrayValue).compactMap { $0["id"]?.stringValue }
        #expect(ids.count == 2, "\(two)")
        let one = try oneValue(try await vcctl(socket + ["--json", "submit", "-"], folder: daemon.folder, input: "a green owl\n"), "submit - (one line)")
        #expect(one.arrayValue?.count == 1, "an array for '-' even for one prompt: \(one)")
        let single = try oneValue(try await vcctl(socket + ["--json", "submit", "a grey cat"], folder: daemon.folder), "submit PROMPT")
        #expect(single["id"]?.stringValue != nil, "one prompt: the object, as before: \(single)")

        let waited = try oneValue(try await vcctl(socket + ["--json", "wait"] + ids + ["--timeout", "60"], folder: daemon.folder), "wait ID ID")
        #expect(waited.arrayValue?.map { $0["id"]?.stringValue } == ids.map { Optional($0) }, "\(waited)")
        #expect(waited.arrayValue?.allSatisfy { $0["state"] == "succeeded" } == true)
        let waitedOne = try oneValue(try await vcctl(socket + ["--json", "wait", ids[0]], folder: daemon.folder), "wait ID")
        #expect(waitedOne["id"]?.stringValue == ids[0])

        let submitWait = try oneValue(
            try await vcctl(socket + ["--json", "submit", "-", "--wait", "--timeout", "60"], folder: daemon.folder, input: "a fox\nan owl\n"), "submit - --wait"
        )
        #expect(submitWait.arrayValue?.count == 2, "\(submitWait)")
        #expect(submitWait.arrayValue?.allSatisfy { $0["images"]?[0]?["path"]?.stringValue != nil } == true)

        let path = try oneValue(try await vcctl(socket + ["--json", "config", "path"], folder: daemon.folder), "config path")
        #expect(path["path"]?.stringValue?.hasSuffix("/visioncraft/config.toml") == true, "\(path)")
        #expect(path["exists"] == false)

        // Every other command that offers --json.
        let commands: [[String]] = [
            ["status"], ["list"], ["get", ids[0]], ["history", "fox"], ["models"], ["samplers"], ["plugins"], ["key", "status"],
            ["config", "get"], ["config", "get", "jobs.model"], ["config", "keys"], ["show", ids[0]], ["rerun", ids[0], "--wait"],
            ["daemon", "reload"], ["rpc", "daemon.status"],
        ]
        for command in commands {
            _ = try oneValue(try await vcctl(socket + ["--json"] + command, folder: daemon.folder), "\(command)")
        }
    }
}
