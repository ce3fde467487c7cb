import Imaging
import JSON
import Posix
import Testing
import TestSupport

/// vcctl's job commands against a real daemon on its embedded emulator.
@Suite struct JobCommandTests {
    /// Runs vcctl against `daemon` (its folder as HOME).
    func run(_ daemon: DaemonProcess, _ arguments: [String], input: String? = nil) async throws -> ProcessOutput {
        try await vcctl(["--socket", daemon.socketPath, "--no-start"] + arguments, folder: daemon.folder, input: input)
    }

    func startOnEmulator() async throws -> DaemonProcess {
        try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
    }

    @Test func submitWaitPrintsThePathsOfStampedImages() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let output = try await run(daemon, ["submit", "a lighthouse at dusk", "-n", "6", "--negative", "fog", "--label", "coast", "--wait"])
        #expect(output.status == 0, "\(output.standardError)")
        let paths = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(paths.count == 6)
        #expect(paths.allSatisfy { $0.hasPrefix(daemon.folder.file("Pictures/visioncraft/")) && $0.hasSuffix(".png") })
        let text = try PNGCodec.decode(try FileSystem.readFile(paths[0])).text
        #expect(text.first { $0.keyword == "parameters" }?.text.hasPrefix("a lighthouse at dusk\nNegative prompt: fog\n") == true)

        let list = try await run(daemon, ["list", "--label", "coast"])
        #expect(list.status == 0)
        #expect(list.standardOutput.contains("succeeded 6/6"))
        let json = try JSONParser.parse(try await run(daemon, ["--json", "list"]).standardOutput)
        let id = try #require(json.arrayValue?.first?["id"]?.stringValue)
        let get = try await run(daemon, ["get", id])
        #expect(get.standardOutput.contains("prompt    a lighthouse at dusk"))
        #expect(get.standardOutput.contains(paths[5]))
        let cancel = try await run(daemon, ["cancel", id])
        #expect(cancel.status == 1, "a finished job cannot be cancelled")
        #expect(cancel.standardError.contains("job_wrong_state"))
    }

    @Test func promptsFromStandardInputMakeOneJobEach() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let submitted = try await run(daemon, ["submit", "-"], input: "a red fox\n\n  \na blue whale\n")
        #expect(submitted.status == 0)
        let ids = submitted.standardOutput.split(separator: "\n").map(String.init)
        #expect(ids.count == 2)
        let waited = try await run(daemon, ["wait"] + ids + ["--timeout", "30"])
        #expect(waited.status == 0, "\(waited.standardError)")
        #expect(waited.standardOutput.split(separator: "\n").count == 2)
        let text = try await run(daemon, ["list", "--text", "whale"])
        #expect(text.standardOutput.split(separator: "\n").count == 1)
    }

    @Test func keysAreReadFromStandardInputAndNeverShown() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let before = try await run(daemon, ["key", "status"])
        #expect(before.status == 0, "the emulator's placeholder counts as a key")
        #expect(before.standardOutput.contains("(from emulator)"))
        let set = try await run(daemon, ["key", "set"], input: "sk-test-1234567890abcdef\n")
        #expect(set.status == 0, "\(set.standardError)")
        #expect(set.standardOutput == "set ...cdef (from file)\n")
        let file = daemon.folder.file("config/visioncraft/key")
        #expect(try FileSystem.status(file)?.octalPermissions == "0600")
        #expect(String(decoding: try FileSystem.readFile(file), as: UTF8.self) == "sk-test-1234567890abcdef\n")
        let status = try JSONParser.parse(try await run(daemon, ["--json", "key", "status"]).standardOutput)
        #expect(status["masked"] == "...cdef")
        #expect(!daemon.log().contains("1234567890abcdef"), "the key is not logged")
        let empty = try await run(daemon, ["key", "set"], input: "\n")
        #expect(empty.status == 64)
        // A key file that cannot be written is the disk's fault, not the argument's.
        let keyFile = daemon.folder.file("config/visioncraft/key")
        _ = try FileSystem.removeFile(keyFile)
        try FileSystem.makeDirectories(keyFile + "/in-the-way", permissions: 0o700)
        let blocked = try await run(daemon, ["key", "set"], input: "sk-test-1234567890abcdef\n")
        #expect(blocked.status != 0 && blocked.status != 64, "\(blocked.status)")
        #expect(blocked.standardError.contains("storage_failed") && blocked.standardError.contains("cannot store the key"), "\(blocked.standardError)")
    }

    @Test func listsOfTheUpstream() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let models = try await run(daemon, ["models"])
        #expect(models.standardOutput.split(separator: "\n").count == 58)
        let samplers = try JSONParser.parse(try await run(daemon, ["--json", "samplers", "--refresh"]).standardOutput)
        #expect(samplers.arrayValue?.count == 19)
    }

    @Test(arguments: [
        (["submit", "x", "--timeout", "5"], "--timeout needs --wait"),
        (["submit", "x", "-n", "0"], "--count"),
        (["submit", "x", "--priority", "1000"], "--priority"),
        (["list", "--state", "done"], "expects one of queued, running, succeeded, failed, cancelled"),
        (["submit"], "PROMPT"),
        (["get"], "ID"),
    ])
    func usageErrors(arguments: [String], message: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = try await vcctl(["--socket", folder.file("x.sock"), "--no-start"] + arguments, folder: folder)
        #expect(output.status == 64, "\(arguments): \(output.standardError)")
        #expect(output.standardError.contains(message), "\(output.standardError)")
    }

    @Test func theDaemonRefusesWhatOnlyItCanCheck() async throws {
        let daemon = try await startOnEmulator()
        defer { daemon.cleanUp() }
        let output = try await run(daemon, ["submit", "x", "--model", "no_such_model"])
        #expect(output.status == 64, "a refused value is a usage error, whoever found it")
        #expect(output.standardError.contains("--model unknown model 'no_such_model'"), "\(output.standardError)")
        #expect(output.standardOutput.isEmpty)
    }
}

/// Without a key, on the real service's side of the daemon.
@Suite struct MissingKeyTests {
    @Test func waitingWithoutAKeyEndsAt77AtOnce() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--upstream", "http://127.0.0.1:\(port)"]) }
        defer { daemon.cleanUp() }
        let started = MonotonicInstant.now()
        let output = try await vcctl(["--socket", daemon.socketPath, "--no-start", "submit", "no key", "--wait"], folder: daemon.folder)
        #expect(output.status == 77, "\(output.standardError)")
        #expect(output.standardError.contains("no API key is set; vcctl key set stores one"))
        #expect(started.elapsed < .seconds(30), "not after a long wait: the submit waits up to 3 s for the lists")
        let status = try await vcctl(["--socket", daemon.socketPath, "--no-start", "key", "status"], folder: daemon.folder)
        #expect(status.status == 77)
        #expect(status.standardOutput == "missing\n")
    }
}

@Suite struct WatchTests {
    @Test func watchPrintsEachChangeUntilTheJobsFinish() async throws {
        let daemon = try await offPool {
            // One request at a time, 1 s each: the watch (a process spawned on
            // a loaded machine) attaches long before the first one answers.
            try DaemonProcess.start(arguments: [
                "--emulator", "--requests-per-minute", "0", "--max-in-flight", "1", "--emulator-faults", #"{"latency_ms":\#(1000 * TestTime.scale)}"#,
            ])
        }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        _ = try await vcctl(socket + ["models"], folder: daemon.folder)  // the lists are cached before the slow submits
        let id = try await vcctl(socket + ["submit", "a slow fox", "-n", "6"], folder: daemon.folder).standardOutput.trimmingNewline
        let watched = try await vcctl(socket + ["--json", "watch", id], folder: daemon.folder)
        #expect(watched.status == 0, "\(watched.standardError)")
        let updates = try watched.standardOutput.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(updates.allSatisfy { $0["id"]?.stringValue == id })
        #expect(updates.last?["state"] == "succeeded")
        #expect(updates.last?["images_done"]?.intValue == 6)
        #expect(updates.count >= 3, "running, images saved, succeeded: \(updates.count)")

        let again = try await vcctl(socket + ["watch", id], folder: daemon.folder)
        #expect(again.status == 0, "a job already finished ends the watch at once")
    }
}

@Suite struct RerunTests {
    @Test func rerunCopiesTheParametersAndTakesOverrides() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let first = try await vcctl(socket + ["submit", "a red fox", "-n", "2", "--label", "foxes", "--steps", "12", "--idempotency-key", "k1"], folder: daemon.folder)
        let id = first.standardOutput.trimmingNewline
        let rerun = try await vcctl(socket + ["--json", "rerun", id, "-n", "1", "--prompt", "a blue fox", "--wait"], folder: daemon.folder)
        #expect(rerun.status == 0, "\(rerun.standardError)")
        let job = try JSONParser.parse(rerun.standardOutput)
        #expect(job["id"]?.stringValue != id, "a new job")
        #expect(job["params"]?["prompt"] == "a blue fox")
        #expect(job["params"]?["image_count"] == 1)
        #expect(job["params"]?["steps"] == 12, "kept from the original")
        #expect(job["params"]?["labels"] == ["foxes"])
        #expect(job["params"]?["idempotency_key"] == nil, "not copied")
        let missing = try await vcctl(socket + ["rerun", "01JD0000000000000000000000"], folder: daemon.folder)
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("job_not_found"))
    }
}

/// What vcctl prints on a terminal, in a pipe, and with --quiet.
@Suite struct OutputConventionTests {
    /// Runs vcctl under a pseudo-terminal (util-linux `script`).
    func onTerminal(_ arguments: [String], daemon: DaemonProcess, noColor: Bool) async throws -> String {
        let command = ([try BuiltProducts.path("vcctl")] + arguments).map { "'\($0)'" }.joined(separator: " ")
        var environment = isolatedEnvironment(in: daemon.folder)
        environment["TERM"] = "xterm"
        if noColor { environment["NO_COLOR"] = "1" } else { environment.removeValue(forKey: "NO_COLOR") }
        let shellEnvironment = environment
        let output = try await offPool { try runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], environment: shellEnvironment) }
        return output.standardOutput
    }

    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal"))
    func coloursOnlyOnATerminalWithoutNoColor() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        _ = try await vcctl(socket + ["submit", "a fox", "--wait"], folder: daemon.folder)
        let coloured = try await onTerminal(socket + ["list"], daemon: daemon, noColor: false)
        #expect(coloured.contains("\u{1B}[32msucceeded\u{1B}[0m"), "green on a terminal: \(coloured)")
        let plain = try await onTerminal(socket + ["list"], daemon: daemon, noColor: true)
        #expect(plain.contains("succeeded") && !plain.contains("\u{1B}["), "NO_COLOR: \(plain)")
        let piped = try await vcctl(socket + ["list"], folder: daemon.folder)
        #expect(!piped.standardOutput.contains("\u{1B}"), "no escape codes in a pipe")
    }

    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal"))
    func waitingShowsAProgressLineOnlyOnATerminal() async throws {
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: ["--emulator", "--emulator-faults", #"{"latency_ms":1500}"#, "--requests-per-minute", "0"])
        }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let terminal = try await onTerminal(socket + ["submit", "a slow fox", "--wait"], daemon: daemon, noColor: false)
        #expect(terminal.contains("\r\u{1B}[2K[          ] 0/1 running"), "a bar redrawn in place: \(terminal.debugDescription)")
        #expect(terminal.contains(".png"), "then the path")
        let plain = try await onTerminal(socket + ["submit", "a slow fox", "--wait"], daemon: daemon, noColor: true)
        #expect(!plain.contains("\u{1B}") && plain.contains(".png"), "NO_COLOR: no progress line: \(plain.debugDescription)")
        let piped = try await vcctl(socket + ["submit", "a slow fox", "--wait"], folder: daemon.folder)
        #expect(piped.status == 0)
        #expect(!piped.standardError.contains("\u{1B}") && !piped.standardError.contains("\r"), "no progress in a pipe")
    }

    /// Every command that prints data: no escape codes in a pipe or under
    /// NO_COLOR on a terminal, and JSON that parses with --json.
    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/script"), "needs util-linux's script for a pseudo-terminal"))
    func everyDataCommandKeepsTheOutputContract() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let id = try await vcctl(socket + ["submit", "a fox", "--wait", "--json"], folder: daemon.folder).standardOutput
        let jobID = try #require(try JSONParser.parse(id)["id"]?.stringValue)
        let commands: [[String]] = [
            ["status"], ["list"], ["get", jobID], ["history", "fox"], ["models"], ["samplers"], ["plugins"], ["key", "status"],
            ["config", "get"], ["config", "keys"], ["show", jobID], ["wait", jobID], ["watch", jobID],
        ]
        for command in commands {
            let piped = try await vcctl(socket + command, folder: daemon.folder)
            #expect(piped.status == 0, "\(command): \(piped.standardError)")
            #expect(!piped.standardOutput.isEmpty, "\(command) prints data")
            #expect(!(piped.standardOutput + piped.standardError).contains("\u{1B}"), "\(command): no escape codes in a pipe")
            let json = try await vcctl(socket + ["--json"] + command, folder: daemon.folder)
            for line in json.standardOutput.split(separator: "\n") {
                #expect((try? JSONParser.parse(String(line))) != nil, "\(command) --json: \(line)")
            }
            let plain = try await onTerminal(socket + command, daemon: daemon, noColor: true)
            #expect(!plain.contains("\u{1B}"), "\(command): NO_COLOR on a terminal: \(plain.debugDescription)")
        }
    }

    @Test func quietPrintsOnlyIdsOrPaths() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let id = try await vcctl(socket + ["submit", "a fox", "-n", "2"], folder: daemon.folder).standardOutput.trimmingNewline
        _ = try await vcctl(socket + ["wait", id], folder: daemon.folder)
        #expect(try await vcctl(socket + ["-q", "list"], folder: daemon.folder).standardOutput == id + "\n")
        let paths = try await vcctl(socket + ["get", id, "--quiet"], folder: daemon.folder).standardOutput.split(separator: "\n")
        #expect(paths.count == 2 && paths.allSatisfy { $0.hasSuffix(".png") })
    }
}

@Suite struct OpenTests {
    @Test func openHandsEveryImageToTheViewer() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"]) }
        defer { daemon.cleanUp() }
        // A stand-in viewer that records what it was given.
        let bin = daemon.folder.file("bin")
        try FileSystem.makeDirectories(bin, permissions: 0o755)
        try FileSystem.writeFileAtomically("\(bin)/xdg-open", Array("#!/bin/sh\necho \"$1\" >> \(daemon.folder.file("opened"))\n".utf8), permissions: 0o755)
        let socket = ["--socket", daemon.socketPath, "--no-start"]
        let id = try await vcctl(socket + ["submit", "a fox", "-n", "2"], folder: daemon.folder).standardOutput.trimmingNewline
        let paths = try await vcctl(socket + ["wait", id], folder: daemon.folder).standardOutput
        var environment = isolatedEnvironment(in: daemon.folder)
        environment["PATH"] = "\(bin):/usr/bin:/bin"
        let shellEnvironment = environment
        let vcctlPath = try BuiltProducts.path("vcctl")
        let opened = try await offPool { try runProcess(vcctlPath, socket + ["open", id], environment: shellEnvironment) }
        #expect(opened.status == 0, "\(opened.standardError)")
        #expect(String(decoding: try FileSystem.readFile(daemon.folder.file("opened")), as: UTF8.self) == paths)

        var bare = shellEnvironment
        bare["PATH"] = "/nonexistent"
        let noViewer = bare
        let missing = try await offPool { try runProcess(vcctlPath, socket + ["open", id], environment: noViewer) }
        #expect(missing.status == 69)
        #expect(missing.standardError.contains("xdg-open is not installed"))
    }
}
