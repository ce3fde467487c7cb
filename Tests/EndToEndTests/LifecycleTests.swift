import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starting, refusing to start, and stopping the real daemon.
@Suite struct LifecycleTests {
    /// Runs visioncraftd to completion (for starts that must fail).
    func runDaemon(_ arguments: [String]) async throws -> ProcessOutput {
        let home = try TemporaryDirectory()
        defer { home.remove() }
        return try await offPool {
            try runProcess(try BuiltProducts.path("visioncraftd"), arguments, environment: isolatedEnvironment(in: home), timeout: TestTime.scaled(.seconds(20)))
        }
    }

    @Test func createsAPrivateFolderAndAPrivateSocket() async throws {
        let (folderStatus, socketStatus) = try await withDaemon { daemon in
            (try FileSystem.linkStatus(daemon.folder.file("run")), try FileSystem.linkStatus(daemon.socketPath))
        }
        #expect(folderStatus?.kind == .directory)
        #expect(folderStatus?.octalPermissions == "0700")
        #expect(socketStatus?.kind == .socket)
        #expect(socketStatus?.octalPermissions == "0600")
    }

    @Test func refusesAFolderOpenToOthers() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectory(folder.file("open"), permissions: 0o755)
        try FileSystem.setPermissions(folder.file("open"), 0o755)
        let output = try await runDaemon(["--socket", folder.file("open/d.sock")])
        #expect(output.status == 78)
        #expect(output.standardError.contains("its mode is 0755"))
        #expect(output.standardError.contains("chmod 700"))
        #expect(try FileSystem.linkStatus(folder.file("open/d.sock")) == nil)
    }

    @Test(.enabled(if: getuid() == 0, "needs root to give a folder to another user"))
    func refusesAFolderOwnedBySomeoneElse() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectory(folder.file("theirs"), permissions: 0o700)
        #expect(chown(folder.file("theirs"), 65534, 65534) == 0)
        let output = try await runDaemon(["--socket", folder.file("theirs/d.sock")])
        #expect(output.status == 78)
        #expect(output.standardError.contains("belongs to uid 65534"))
    }

    @Test func refusesASymbolicLinkAsTheFolder() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectory(folder.file("real"), permissions: 0o700)
        #expect(symlink(folder.file("real"), folder.file("link")) == 0)
        let output = try await runDaemon(["--socket", folder.file("link/d.sock")])
        #expect(output.status == 78)
        #expect(output.standardError.contains("symbolic link"))
    }

    @Test func refusesAPathLongerThanSunPath() async throws {
        let path = "/tmp/" + String(repeating: "p", count: 150) + "/d.sock"
        let output = try await runDaemon(["--socket", path])
        #expect(output.status == 78)
        #expect(output.standardError.contains("limit of \(UnixSocket.maximumPathLength) bytes"))
    }

    @Test func refusesToDeleteAFileThatIsNotASocket() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("d.sock"), Array("precious".utf8))
        let output = try await runDaemon(["--socket", folder.file("d.sock")])
        #expect(output.status == 78)
        #expect(output.standardError.contains("is not a socket"))
        #expect(try FileSystem.readFile(folder.file("d.sock")) == Array("precious".utf8))
    }

    @Test func replacesAStaleSocket() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("run/visioncraftd.sock")
        try FileSystem.makeDirectory(folder.file("run"), permissions: 0o700)
        try makeStaleSocket(at: path)  // left behind, nobody listening
        let daemon = try await offPool { try DaemonProcess.start(folder: folder) }
        defer { daemon.cleanUp() }
        let reply = try await offPool {
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            return try parse(try client.readLine())
        }
        #expect(reply["result"] != nil)
        #expect(daemon.log().contains("removing stale socket"))
    }

    @Test func aSecondDaemonSaysAlreadyRunning() async throws {
        let (output, stillServes) = try await withDaemon { daemon in
            let output = try runProcess(try BuiltProducts.path("visioncraftd"), ["--socket", daemon.socketPath], environment: isolatedEnvironment(in: daemon.folder))
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            return (output, try parse(try client.readLine())["result"] != nil)
        }
        #expect(output.status == 1)
        #expect(output.standardError.contains("already running"))
        #expect(stillServes)
    }

    @Test func aLiveSocketWithoutTheLockIsNotReplaced() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("d.sock")
        let foreign = try UnixSocket.listen(at: path)
        defer { try? foreign.close() }
        let output = try await runDaemon(["--socket", path])
        #expect(output.status == 1)
        #expect(output.standardError.contains("already running"))
        #expect(try FileSystem.linkStatus(path)?.kind == .socket)
    }

    @Test(arguments: [Signal.terminate, Signal.interrupt])
    func aSignalFinishesRequestsInFlightThenRemovesTheSocket(signal: Signal) async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--enable-test-methods"]) }
        defer { daemon.cleanUp() }
        let (slowReply, closed, termination) = try await offPool {
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":"slow","method":"test.sleep","params":{"milliseconds":400}}"#)
            // The quick answer proves the slow request is in flight.
            try client.sendLine(#"{"jsonrpc":"2.0","id":"quick","method":"daemon.status"}"#)
            guard try parse(try client.readLine())["id"] == "quick" else { throw TestFailure("expected the quick reply first") }
            daemon.child.send(signal)
            let slow = try parse(try client.readLine())
            return (slow, try client.isClosedByServer(), try daemon.child.wait())
        }
        #expect(slowReply["id"] == "slow")
        #expect(slowReply["result"]?["slept_ms"] == 400)
        #expect(closed)
        #expect(termination == .exited(0))
        #expect(try FileSystem.linkStatus(daemon.socketPath) == nil)
        #expect(daemon.log().contains("stopping: received \(signal)"))
    }

    @Test func aSecondSignalStopsAtOnce() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--enable-test-methods", "--shutdown-timeout", "60"]) }
        defer { daemon.cleanUp() }
        let (termination, elapsed) = try await offPool {
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":"slow","method":"test.sleep","params":{"milliseconds":60000}}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":"quick","method":"daemon.status"}"#)
            _ = try client.readLine()  // the slow request is in flight
            let started = MonotonicInstant.now()
            daemon.child.send(.terminate)
            // The first signal's stop is under way once the log says so.
            try waitForLog(daemon, containing: "stopping: received SIGTERM")
            daemon.child.send(.terminate)
            return (try daemon.child.wait(), started.elapsed)
        }
        #expect(termination == .exited(1))
        #expect(elapsed < .seconds(40), "the second signal did not cut the 60 s request short")
        #expect(try FileSystem.linkStatus(daemon.socketPath) == nil, "the socket file is removed even then")
        #expect(daemon.log().contains("stopping at once (second signal)"))
    }

    /// An editor reconnecting while the daemon finishes must be refused, not
    /// left in the backlog to be reset at exit with the request it sent.
    @Test func aStoppingDaemonRefusesNewConnectionsWhileItFinishes() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--enable-test-methods", "--shutdown-timeout", "60"]) }
        defer { daemon.cleanUp() }
        let (refusal, fileWhileFinishing, stillRunning, termination) = try await offPool {
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":"slow","method":"test.sleep","params":{"milliseconds":60000}}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":"quick","method":"daemon.status"}"#)
            _ = try client.readLine()  // the slow request is in flight
            daemon.child.send(.terminate)
            try waitForLog(daemon, containing: "stopping: received SIGTERM")
            // The listener closes just after that line; a connection made
            // before it is reset, so try until one is refused.
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(10)))
            var refusal: SystemError?
            while refusal == nil, MonotonicInstant.now() < deadline {
                do {
                    _ = try daemon.connect()
                    pauseBriefly(milliseconds: 5)
                } catch let error as SystemError {
                    refusal = error
                }
            }
            let file = try FileSystem.linkStatus(daemon.socketPath)?.kind
            let running = Signals.isRunning(daemon.child.pid)
            daemon.child.send(.terminate)
            return (refusal, file, running, try daemon.child.wait())
        }
        #expect(refusal?.isConnectionRefused == true, "\(String(describing: refusal))")
        #expect(fileWhileFinishing == .socket, "the file stays until the daemon's last act")
        #expect(stillRunning)
        #expect(termination == .exited(1))
        #expect(try FileSystem.linkStatus(daemon.socketPath) == nil)
    }

    @Test func theShutdownTimeoutBoundsTheWait() async throws {
        let daemon = try await offPool {
            try DaemonProcess.start(arguments: ["--enable-test-methods", "--shutdown-timeout", "0.3"])
        }
        defer { daemon.cleanUp() }
        let (termination, elapsed, closed) = try await offPool {
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":"slow","method":"test.sleep","params":{"milliseconds":60000}}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":"quick","method":"daemon.status"}"#)
            _ = try client.readLine()
            let started = MonotonicInstant.now()
            daemon.child.send(.terminate)
            let closed = try client.isClosedByServer(timeout: TestTime.scaled(.seconds(50)))
            return (try daemon.child.wait(), started.elapsed, closed)
        }
        #expect(termination == .exited(0))
        #expect(closed)
        #expect(elapsed < .seconds(40), "the 0.3 s shutdown timeout did not cut the 60 s request short")
        #expect(daemon.log().contains("still busy after 0.3 s; closing them"))
    }

    @Test func shutdownAnswersThenStops() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        let (reply, termination) = try await offPool {
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.shutdown"}"#)
            let reply = try parse(try client.readLine())
            return (reply, try daemon.child.wait())
        }
        #expect(reply["result"]?["stopping"] == true)
        #expect(termination == .exited(0))
        #expect(try FileSystem.linkStatus(daemon.socketPath) == nil)
    }

    @Test func servesTheSocketSystemdPasses() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("activated.sock")
        let listener = try UnixSocket.listen(at: path)
        defer { try? listener.close() }
        let (reply, termination, socketKept) = try await offPool {
            let (child, ready) = try Self.spawnActivated(listener: listener, arguments: ["--log-file", folder.file("log")])
            defer { try? ready.close() }
            guard try Poll.wait(for: ready, events: .readable, timeout: TestTime.scaled(.seconds(20))) else { throw TestFailure("not ready") }
            let client = try LineClient(path: path)
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            let reply = try parse(try client.readLine())
            child.send(.terminate)
            let termination = try child.wait()
            return (reply, termination, try FileSystem.linkStatus(path)?.kind == .socket)
        }
        #expect(reply["result"]?["socket"]?.stringValue == path)
        #expect(termination == .exited(0))
        #expect(socketKept, "an activated socket belongs to systemd: the daemon must not remove it")
    }

    @Test func refusesActivationWithSomethingElseOnDescriptor3() async throws {
        let output = try await offPool {
            let pipe = try FileDescriptor.pipe()
            defer {
                try? pipe.read.close()
                try? pipe.write.close()
            }
            let errors = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: "/bin/sh",
                arguments: ["-c", #"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0""#, try BuiltProducts.path("visioncraftd")]
            )
            options.extraDescriptors = [3: pipe.read]
            options.standardError = .descriptor(errors.write)
            options.environment = isolatedEnvironment(home: "/nonexistent")
            let child = try ChildProcess.spawn(options)
            try errors.write.close()
            let text = String(decoding: try errors.read.readAll(), as: UTF8.self)
            try errors.read.close()
            return (try child.wait(), text)
        }
        #expect(output.0 == .exited(78))
        #expect(output.1.contains("not a listening stream socket"))
    }

    @Test(.enabled(if: getuid() == 0 && FileSystem.isExecutable("/usr/bin/setpriv") && FileSystem.isExecutable("/usr/bin/python3"),
                   "needs root, setpriv and /usr/bin/python3 to connect as another user"))
    func refusesAConnectionFromAnotherUser() async throws {
        // A folder others can reach, holding an activated socket anyone may
        // connect to: only the daemon's peer check stands in the way.
        let folder = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/vct-peer-")
        defer { _ = try? runProcess("/bin/rm", ["-rf", folder]) }
        try FileSystem.setPermissions(folder, 0o755)
        let path = folder + "/open.sock"
        let listener = try UnixSocket.listen(at: path)
        defer { try? listener.close() }
        try FileSystem.setPermissions(path, 0o777)
        let log = folder + "/log"
        let (strangerOutput, ownerReply, logText) = try await offPool {
            let (child, ready) = try Self.spawnActivated(listener: listener, arguments: ["--log-file", log])
            defer {
                try? ready.close()
                child.send(.kill)
                _ = try? child.wait()
            }
            guard try Poll.wait(for: ready, events: .readable, timeout: TestTime.scaled(.seconds(20))) else { throw TestFailure("not ready") }
            let script = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX)
                s.connect(sys.argv[1])
                try:
                    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"daemon.status"}\\n')
                    s.settimeout(10)
                    print(repr(s.recv(4096)))
                except OSError as e:
                    print("closed:", e.errno)
                """
            let stranger = try runProcess(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, path]
            )
            let owner = try LineClient(path: path)
            try owner.sendLine(#"{"jsonrpc":"2.0","id":2,"method":"daemon.status"}"#)
            let reply = try parse(try owner.readLine())
            let text = String(decoding: try FileSystem.readFile(log), as: UTF8.self)
            return (stranger, reply, text)
        }
        #expect(strangerOutput.status == 0, "\(strangerOutput.standardError)")
        let answer = String(strangerOutput.standardOutput.filter { !$0.isNewline })
        #expect(answer == "b''" || answer.hasPrefix("closed:"), "the stranger got an answer: \(answer)")
        #expect(ownerReply["result"] != nil, "the owner is still served")
        #expect(logText.contains("refused connection") && logText.contains("uid 65534"))
    }

    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/systemd-socket-activate"), "needs systemd-socket-activate (Debian: systemd)"))
    func runsUnderSystemdSocketActivate() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("sa.sock")
        let (reply, termination) = try await offPool {
            let errors = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: "/usr/bin/systemd-socket-activate",
                arguments: SanitizedRun.socketActivateArguments + ["-l", path, try BuiltProducts.path("visioncraftd"), "--log-file", folder.file("log")],
                environment: isolatedEnvironment(in: folder)
            )
            options.standardError = .descriptor(errors.write)
            options.standardOutput = .null
            let child = try ChildProcess.spawn(options)
            try errors.write.close()
            // It says "Listening on PATH as 3." once bound, then starts the
            // daemon on the first connection.
            let announcements = LineClient(descriptor: errors.read)
            let announcement = try announcements.readLine(timeout: TestTime.scaled(.seconds(20)))
            guard announcement.hasPrefix("Listening on") else { throw TestFailure("unexpected: \(announcement)") }
            let client = try LineClient(path: path)
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            let reply = try parse(try client.readLine())
            child.send(.terminate)
            return (reply, try child.wait())
        }
        #expect(reply["result"]?["socket"]?.stringValue == path)
        #expect(termination == .exited(0))
    }

    /// Starts visioncraftd the way systemd does: the listening socket on
    /// descriptor 3, LISTEN_PID set to the daemon's own pid (the shell's pid
    /// survives `exec`), readiness on descriptor 4.
    static func spawnActivated(listener: FileDescriptor, arguments: [String]) throws -> (ChildProcess, FileDescriptor) {
        let ready = try FileDescriptor.pipe()
        var options = ChildProcess.Options(
            executable: "/bin/sh",
            arguments: ["-c", #"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@""#, try BuiltProducts.path("visioncraftd"), "--ready-fd", "4"] + arguments
        )
        options.extraDescriptors = [3: listener, 4: ready.write]
        // Files beside the log: the job database, key and images.
        if let index = arguments.firstIndex(of: "--log-file"), index + 1 < arguments.count {
            options.environment = isolatedEnvironment(home: FileSystem.parentDirectory(of: arguments[index + 1]))
        }
        options.standardOutput = .null
        options.standardError = .null
        let child = try ChildProcess.spawn(options)
        try ready.write.close()
        return (child, ready.read)
    }
}

/// Waits until the daemon's log contains `text`: the log is the only account
/// of its state here (two signals sent back to back may merge into one
/// pending signal, so a test must see the first one handled). Bounded.
func waitForLog(_ daemon: DaemonProcess, containing text: String, timeout: Duration = .seconds(10)) throws {
    let deadline = MonotonicInstant.now().advanced(by: timeout)
    while !daemon.log().contains(text) {
        guard MonotonicInstant.now() < deadline else { throw TestFailure("the log never said '\(text)':\n\(daemon.log())") }
        pauseBriefly()
    }
}

/// The upstream settings of the real daemon.
@Suite struct UpstreamSettingTests {
    @Test(arguments: [
        (["--upstream", "loplequ.domcloud.io"], "--upstream 'loplequ.domcloud.io': expected an http:// or https:// URL, or 'emulator'"),
        (["--emulator", "--upstream", "http://a.example"], "--upstream http://a.example and --emulator contradict each other"),
        (["--emulator-faults", "{}"], "--emulator-faults needs --emulator"),
        (["--emulator", "--emulator-faults", #"{"server_error_rate":2}"#], "--emulator-faults: server_error_rate"),
        (["--emulator", "--emulator-faults", "{nope"], "--emulator-faults:"),
        (["--connect-timeout", "0"], "--connect-timeout"),
        (["--retry-base", "0"], "--retry-base"),
        (["--retry-base", "soon"], "--retry-base"),
    ])
    func wrongSettingsAreUsageErrors(arguments: [String], message: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = try await offPool {
            try runProcess(
                try BuiltProducts.path("visioncraftd"), ["--socket", folder.file("d.sock")] + arguments, environment: isolatedEnvironment(in: folder),
                timeout: TestTime.scaled(.seconds(20))
            )
        }
        #expect(output.status == 64, "\(output.standardError)")
        #expect(output.standardError.contains(message), "\(output.standardError)")
        #expect(try FileSystem.linkStatus(folder.file("d.sock")) == nil, "nothing was started")
    }

    @Test func theEmbeddedEmulatorAnswersThroughVCCtl() async throws {
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--emulator-faults", #"{"latency_ms":1}"#]) }
        defer { daemon.cleanUp() }
        let models = try await vcctl(["--socket", daemon.socketPath, "rpc", "models.list"], folder: daemon.folder)
        #expect(models.status == 0, "\(models.standardError)")
        let names = try JSONParser.parse(models.standardOutput.trimmingNewline)["models"]?.arrayValue ?? []
        #expect(names.count == 58)
        let status = try await vcctl(["--socket", daemon.socketPath, "status"], folder: daemon.folder)
        #expect(status.standardOutput.contains("  upstream     http://127.0.0.1:"))
        #expect(status.standardOutput.contains(" (embedded emulator)\n  last success none since the start\n"), "\(status.standardOutput)")
        #expect(daemon.log().contains("backend visioncraft (visioncraft): embedded emulator on http://127.0.0.1:"))
    }

    @Test func theEnvironmentReachesADaemonThatVCCtlStarts() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/d.sock")
        let environment = [
            "HOME": folder.path, "XDG_STATE_HOME": folder.file("state"), "PATH": "/usr/bin:/bin", "VISIONCRAFT_UPSTREAM": "emulator",
        ].merging(SanitizedRun.environment) { given, _ in given }
        let output = try await offPool {
            try runProcess(try BuiltProducts.path("vcctl"), ["--socket", socket, "--json", "status"], environment: environment)
        }
        await stopDaemon(socket: socket, folder: folder)
        #expect(output.status == 0, "\(output.standardError)")
        #expect(try JSONParser.parse(output.standardOutput.trimmingNewline)["upstream"]?["emulator"] == true)
    }
}
