import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built vcctl with a private environment (HOME, XDG_STATE_HOME in
/// the folder; no XDG_RUNTIME_DIR), so auto-started daemons log there.
func vcctl(_ arguments: [String], folder: TemporaryDirectory, input: String? = nil) async throws -> ProcessOutput {
    let environment = [
        "HOME": folder.path, "XDG_STATE_HOME": folder.file("state"), "PATH": "/usr/bin:/bin",
    ].merging(SanitizedRun.environment) { given, _ in given }
    let executable = try BuiltProducts.path("vcctl")
    return try await offPool { try runProcess(executable, arguments, environment: environment, input: input) }
}

/// Stops a daemon that a test started through vcctl.
func stopDaemon(socket: String, folder: TemporaryDirectory) async {
    _ = try? await vcctl(["--socket", socket, "--no-start", "daemon", "stop"], folder: folder)
}

@Suite struct VCCtlBinaryTests {
    @Test func statusPrintsTheDaemonAndNothingElse() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        let human = try await vcctl(["--socket", daemon.socketPath, "status"], folder: daemon.folder)
        #expect(human.status == 0)
        #expect(human.standardError.isEmpty)
        #expect(human.standardOutput.hasPrefix("visioncraftd 0.1.0\n"))
        #expect(human.standardOutput.contains("  pid          \(daemon.child.pid)\n"))
        #expect(human.standardOutput.contains("  socket       \(daemon.socketPath)\n"))
        #expect(!human.standardOutput.contains("\u{1B}"), "no escape codes off a terminal")

        let json = try await vcctl(["status", "--json", "--socket", daemon.socketPath], folder: daemon.folder)
        #expect(json.status == 0)
        let value = try JSONParser.parse(json.standardOutput.trimmingNewline)
        #expect(value["pid"]?.intValue == Int(daemon.child.pid))
        #expect(json.standardOutput.filter { $0 == "\n" }.count == 1, "one line of JSON off a terminal")
    }

    @Test func autoStartsAndStopsADaemon() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/d.sock")

        let first = try await vcctl(["--socket", socket, "--json", "status"], folder: folder)
        #expect(first.status == 0, "\(first.standardError)")
        let pid = try JSONParser.parse(first.standardOutput.trimmingNewline)["pid"]?.intValue
        #expect(pid != nil)
        #expect(try FileSystem.status(folder.file("state/visioncraft/visioncraftd.log")) != nil, "the started daemon logs under XDG_STATE_HOME")

        let again = try await vcctl(["--socket", socket, "daemon", "start"], folder: folder)
        #expect(again.status == 0)
        #expect(again.standardOutput == "\(pid ?? -1)\n")
        #expect(again.standardError.hasPrefix("already running: visioncraftd"))

        let stop = try await vcctl(["--socket", socket, "daemon", "stop"], folder: folder)
        #expect(stop.status == 0)
        #expect(stop.standardError == "stopped visioncraftd (pid \(pid ?? -1))\n")
        #expect(try FileSystem.linkStatus(socket) == nil)

        let stopAgain = try await vcctl(["--socket", socket, "daemon", "stop"], folder: folder)
        #expect(stopAgain.status == 0)
        #expect(stopAgain.standardError == "visioncraftd is not running\n")
    }

    @Test func daemonStartPrintsThePid() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("d.sock")
        let started = try await vcctl(["--socket", socket, "daemon", "start", "--json"], folder: folder)
        await stopDaemon(socket: socket, folder: folder)
        #expect(started.status == 0)
        let value = try JSONParser.parse(started.standardOutput.trimmingNewline)
        #expect(value["started"] == true)
        #expect(value["socket"]?.stringValue == socket)
        #expect((value["pid"]?.intValue ?? 0) > 0)
    }

    @Test func noStartWithoutADaemonExits69() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = try await vcctl(["--socket", folder.file("none.sock"), "--no-start", "status"], folder: folder)
        #expect(output.status == 69)
        #expect(output.standardOutput.isEmpty)
        #expect(output.standardError.contains("no daemon answers on \(folder.file("none.sock")) (no socket file)"))
        #expect(output.standardError.contains("vcctl daemon start"))
    }

    @Test func aDaemonThatCannotStartIsReported() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectory(folder.file("open"), permissions: 0o755)
        try FileSystem.setPermissions(folder.file("open"), 0o755)
        let output = try await vcctl(["--socket", folder.file("open/d.sock"), "status"], folder: folder)
        #expect(output.status == 69)
        #expect(output.standardError.contains("could not start visioncraftd"))
        #expect(output.standardError.contains("exited with status 78"))
        #expect(output.standardError.contains("chmod 700"), "the daemon's own reason is shown")
    }

    @Test func rpcPrintsResultsAndErrors() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        let socket = daemon.socketPath
        let ok = try await vcctl(["--socket", socket, "rpc", "daemon.status", "{}"], folder: daemon.folder)
        #expect(ok.status == 0)
        #expect(try JSONParser.parse(ok.standardOutput.trimmingNewline)["socket"]?.stringValue == socket)

        let stdin = try await vcctl(["--socket", socket, "rpc", "daemon.status", "-"], folder: daemon.folder, input: "{}")
        #expect(stdin.status == 0)

        let bad = try await vcctl(["--socket", socket, "rpc", "daemon.status", #"{"verbose":true}"#], folder: daemon.folder)
        #expect(bad.status == 64, "refused params are a usage error")
        #expect(bad.standardOutput.isEmpty)
        #expect(bad.standardError.contains("daemon.status failed: invalid params: params.verbose"))
        #expect(bad.standardError.contains("(invalid_params)"))

        let badJSON = try await vcctl(["--socket", socket, "--json", "rpc", "no.such"], folder: daemon.folder)
        #expect(badJSON.status == 1)
        let error = try JSONParser.parse(badJSON.standardOutput.trimmingNewline)
        #expect(error["code"] == -32601)
        #expect(error["data"]?["reason"] == "method_not_found")
    }

    @Test(arguments: [
        (["rpc", "daemon.status", "{nope"], "PARAMS is not valid JSON"),
        (["rpc", "daemon.status", "42"], "PARAMS must be a JSON object or array, not number"),
        (["stauts"], "Did you mean 'status'?"),
        (["status", "--jsn"], "Did you mean '--json'?"),
        (["daemon"], "missing command for 'vcctl daemon' (one of: start, stop, restart, reload, logs)"),
    ])
    func usageErrorsExit64(arguments: [String], message: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = try await vcctl(["--socket", folder.file("x.sock"), "--no-start"] + arguments, folder: folder)
        #expect(output.status == 64, "\(output.standardError)")
        #expect(output.standardError.contains(message), "\(output.standardError)")
        #expect(output.standardOutput.isEmpty)
    }

    @Test func versionAndHelp() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let version = try await vcctl(["--version"], folder: folder)
        #expect(version.standardOutput == "vcctl 0.1.0\n")
        let help = try await vcctl(["--help"], folder: folder)
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("Commands:"))
        #expect(help.standardOutput.contains("status"))
        let daemonHelp = try await vcctl(["visioncraftd-does-not-matter", "--help"], folder: folder)
        #expect(daemonHelp.status == 0, "help wins over an unknown command")
        let visioncraftd = try await offPool { try runProcess(try BuiltProducts.path("visioncraftd"), ["--version"]) }
        #expect(visioncraftd.standardOutput == "visioncraftd 0.1.0\n")
        let daemonUsage = try await offPool { try runProcess(try BuiltProducts.path("visioncraftd"), ["--log-level", "loud"]) }
        #expect(daemonUsage.status == 64)
        #expect(daemonUsage.standardError.contains("expects one of debug, info, warning, error, got 'loud'"))
    }

    @Test func aSocketPathOverTheLimitIsAConfigurationError() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = "/tmp/" + String(repeating: "v", count: 200) + ".sock"
        let output = try await vcctl(["--socket", path, "status"], folder: folder)
        #expect(output.status == 78)
        #expect(output.standardError.contains("system limit of \(UnixSocket.maximumPathLength) bytes"))
    }

    #if os(Linux)
    /// Not in a sanitizer run: the sanitizer runtimes need the dynamic
    /// loader, so Package.swift links vcctl dynamically then.
    @Test(.disabled(if: SanitizedRun.isActive, "vcctl is linked dynamically in sanitizer runs"))
    func vcctlIsAFullyStaticExecutable() throws {
        // No PT_INTERP program header: nothing to load at start-up.
        let bytes = try FileSystem.readFile(try BuiltProducts.path("vcctl"), limit: 1 << 16)
        #expect(bytes.count > 64 && bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46])
        func read(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        let programHeaders = read(0x20, 8), entrySize = read(0x36, 2), count = read(0x38, 2)
        let types = (0..<count).map { read(programHeaders + $0 * entrySize, 4) }
        #expect(!types.isEmpty)
        #expect(!types.contains(3), "vcctl has an ELF interpreter: it is dynamically linked")
        #expect(!types.contains(2), "vcctl has a dynamic section")
    }
    #endif

    @Test(.enabled(if: getuid() == 0 && FileSystem.isExecutable("/usr/bin/setpriv") && FileSystem.isExecutable("/usr/bin/python3"),
                   "needs root, setpriv and /usr/bin/python3 to run a server as another user"))
    func refusesADaemonRunByAnotherUser() async throws {
        let folder = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/vct-foreign-")
        let temporary = try TemporaryDirectory()
        defer {
            _ = try? runProcess("/bin/rm", ["-rf", folder])
            temporary.remove()
        }
        try FileSystem.setPermissions(folder, 0o777)
        let path = folder + "/foreign.sock"
        // A stranger listens and would happily answer anything.
        let script = """
            import socket, sys, os
            s = socket.socket(socket.AF_UNIX)
            s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(1)
            print("ready", flush=True)
            c, _ = s.accept()
            c.recv(4096)
            c.sendall(b'{"jsonrpc":"2.0","id":1,"result":{}}\\n')
            """
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(
            executable: "/usr/bin/setpriv",
            arguments: ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, path]
        )
        options.standardOutput = .descriptor(output.write)
        options.standardError = .null
        let stranger = try ChildProcess.spawn(options)
        try output.write.close()
        defer {
            stranger.send(.kill)
            _ = try? stranger.wait()
        }
        // The LineClient owns (and closes) the pipe's read end.
        let ready = try await offPool { try LineClient(descriptor: output.read).readLine() }
        #expect(ready == "ready")
        let result = try await vcctl(["--socket", path, "--no-start", "status"], folder: temporary)
        #expect(result.status == 77)
        #expect(result.standardError.contains("served by uid 65534, not by you or root"))
    }
}

extension String {
    /// The text without its final newline.
    var trimmingNewline: String {
        hasSuffix("\n") ? String(dropLast()) : self
    }
}

@Suite struct DaemonRestartTests {
    @Test func restartGivesANewDaemonAndLogsShowsBoth() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/d.sock")
        let first = try await vcctl(["--socket", socket, "daemon", "start"], folder: folder)
        #expect(first.status == 0, "\(first.standardError)")
        let restarted = try await vcctl(["--socket", socket, "daemon", "restart"], folder: folder)
        #expect(restarted.status == 0, "\(restarted.standardError)")
        #expect(restarted.standardOutput != first.standardOutput, "another process id")
        #expect(restarted.standardError.contains("(pid \(first.standardOutput.trimmingNewline) -> pid "), "\(restarted.standardError)")
        let logs = try await vcctl(["--socket", socket, "daemon", "logs", "-n", "200"], folder: folder)
        #expect(logs.status == 0)
        #expect(logs.standardOutput.split(separator: "\n").filter { $0.contains("listening on") }.count == 2)
        let last = try await vcctl(["--socket", socket, "daemon", "logs", "-n", "1"], folder: folder)
        #expect(last.standardOutput.split(separator: "\n").count == 1)
        await stopDaemon(socket: socket, folder: folder)
        let elsewhere = try TemporaryDirectory()
        defer { elsewhere.remove() }
        let none = try await vcctl(["--socket", folder.file("other/d.sock"), "daemon", "logs"], folder: elsewhere)
        #expect(none.status == 1)
        #expect(none.standardError.contains("no log at"))
    }
}
