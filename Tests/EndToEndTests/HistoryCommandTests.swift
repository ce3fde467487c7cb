import JSON
import Posix
import Testing
import TestSupport

/// vcctl history (search, rm) and key clear against a real daemon on its
/// embedded emulator.
@Suite struct HistoryCommandTests {
    func run(_ daemon: DaemonProcess, _ arguments: [String]) async throws -> ProcessOutput {
        try await vcctl(["--socket", daemon.socketPath, "--no-start"] + arguments, folder: daemon.folder)
    }

    func lines(_ output: ProcessOutput) -> [String] {
        output.standardOutput.split(separator: "\n").map(String.init)
    }

    @Test func searchesPromptsAndPrunesWithOrWithoutFiles() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        var paths: [String: [String]] = [:]
        for prompt in ["a red fox at dawn", "a blue whale", "Renard roux: a red FOXES den"] {
            let output = try await run(daemon, ["submit", prompt, "-n", "2", "--wait"])
            #expect(output.status == 0, "\(output.standardError)")
            paths[prompt] = lines(output)
        }
        let fox = try await run(daemon, ["-q", "history", "red", "fox"])
        #expect(fox.status == 0)
        #expect(lines(fox).count == 2, "two prompts have both words (fox also finds FOXES)")
        let json = try JSONParser.parse(try await run(daemon, ["--json", "history", "whale"]).standardOutput)
        let whale = try #require(json.arrayValue?.first)
        #expect(json.arrayValue?.count == 1)
        #expect(whale["params"]?["prompt"]?.stringValue == "a blue whale")
        #expect(whale["images"]?.arrayValue?.count == 2)
        #expect(whale["finished_at"]?.stringValue != nil, "timings are in the history")
        let none = try await run(daemon, ["history", "zebra"])
        #expect(none.status == 0 && none.standardOutput.isEmpty && none.standardError.contains("no job's prompt has: zebra"))

        // rm by id keeps the files; --files removes them.
        let whaleID = try #require(whale["id"]?.stringValue)
        let removed = try await run(daemon, ["history", "rm", whaleID])
        #expect(removed.status == 0)
        #expect(lines(removed) == [whaleID])
        #expect(removed.standardError.contains("image files kept"))
        #expect(try paths["a blue whale"]!.allSatisfy { try FileSystem.status($0) != nil })
        let gone = try await run(daemon, ["get", whaleID])
        #expect(gone.status == 1 && gone.standardError.contains("job_not_found"))

        let pruned = try await run(daemon, ["--json", "history", "rm", "--older-than", "0", "--files"])
        #expect(pruned.status == 0, "\(pruned.standardError)")
        let result = try JSONParser.parse(pruned.standardOutput)
        #expect(result["deleted"]?.arrayValue?.count == 2)
        #expect(result["files_removed"]?.intValue == 4)
        #expect(try paths["a red fox at dawn"]!.allSatisfy { try FileSystem.status($0) == nil }, "--files removed them")
        #expect(lines(try await run(daemon, ["-q", "history"])).isEmpty)
    }

    @Test(arguments: [
        (["history", "rm"], "name the jobs to delete, or give --older-than AGE"),
        (["history", "rm", "x", "--older-than", "1d"], "give job ids or --older-than, not both"),
        (["history", "rm", "--older-than", "soon"], "--older-than soon: expected an age such as 30d"),
        (["history", "--limit", "0"], "--limit"),
    ])
    func badArgumentsAreUsageErrors(arguments: [String], message: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = try await vcctl(["--no-start", "--socket", folder.file("none.sock")] + arguments, folder: folder)
        #expect(output.status == 64)
        #expect(output.standardError.contains(message), "\(output.standardError)")
    }

    @Test func runningJobsAreNotDeleted() async throws {
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: ["--emulator", "--emulator-faults", #"{"latency_ms":60000}"#, "--requests-per-minute", "0"])
        }
        defer { daemon.cleanUp() }
        let id = lines(try await run(daemon, ["submit", "a slow lighthouse"])).first ?? ""
        let refused = try await run(daemon, ["history", "rm", id])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("cancel it first"))
        #expect(try await run(daemon, ["get", id]).status == 0, "still there")
    }

    @Test func keyClearFallsBackToWhatTheDaemonStartedWith() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator"]) }
        defer { daemon.cleanUp() }
        let set = try await vcctl(["--socket", daemon.socketPath, "--no-start", "key", "set"], folder: daemon.folder, input: "my-secret-key-1234\n")
        #expect(set.status == 0)
        let cleared = try await run(daemon, ["key", "clear"])
        #expect(cleared.status == 0)
        #expect(cleared.standardOutput.contains("(from emulator)"), "on the emulator the placeholder remains: \(cleared.standardOutput)")
        #expect(try FileSystem.status(daemon.folder.file("config/visioncraft/key")) == nil)
    }
}
