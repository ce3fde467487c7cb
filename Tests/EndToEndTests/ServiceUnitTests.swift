import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The systemd units and the launchd agent under Integrations/: valid, and
/// in agreement with the paths the daemon and vcctl use.
@Suite struct ServiceUnitTests {
    static let root = ManualPage.repositoryRoot + "/Integrations"

    func text(_ path: String) throws -> String {
        String(decoding: try FileSystem.readFile(Self.root + "/" + path), as: UTF8.self)
    }

    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/systemd-analyze"), "needs systemd-analyze (Debian: systemd)"))
    func systemdAnalyzeVerifiesTheUnitsWithoutAWord() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // ExecStart must name a file that exists: the built daemon stands in for ~/.local/bin's.
        let service = try text("systemd/visioncraftd.service").replacing("%h/.local/bin/visioncraftd", with: try BuiltProducts.path("visioncraftd"))
        try FileSystem.writeFileAtomically(folder.file("visioncraftd.service"), Array(service.utf8))
        try FileSystem.writeFileAtomically(folder.file("visioncraftd.socket"), Array(try text("systemd/visioncraftd.socket").utf8))
        var environment = isolatedEnvironment(in: folder)
        environment["XDG_RUNTIME_DIR"] = folder.path
        let verifyEnvironment = environment
        let output = try await offPool {
            try runProcess(
                "/usr/bin/systemd-analyze", ["verify", "--man=no", "--user", folder.file("visioncraftd.socket"), folder.file("visioncraftd.service")],
                environment: verifyEnvironment
            )
        }
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardError.isEmpty, "warnings such as unknown keys: \(output.standardError)")
    }

    @Test func theUnitsServeTheDefaultSocketPrivately() throws {
        let socket = try text("systemd/visioncraftd.socket")
        #expect(socket.contains("\nListenStream=%t/visioncraft/visioncraftd.sock\n"), "%t is XDG_RUNTIME_DIR: the daemon's default")
        #expect(socket.contains("\nSocketMode=0600\n") && socket.contains("\nDirectoryMode=0700\n"))
        let service = try text("systemd/visioncraftd.service")
        #expect(service.contains("\nExecReload=/bin/kill -HUP $MAINPID\n"), "SIGHUP reloads the configuration")
        #expect(service.contains("\nNoNewPrivileges=yes\n") && service.contains("\nPrivateTmp=yes\n"))
        #expect(service.contains("LoadCredential=visioncraft-key:"), "the credential name the key vault reads")
    }

    /// The daemon as the units run it: systemd (here systemd-socket-activate)
    /// listens on %t/visioncraft/visioncraftd.sock, and vcctl finds it there
    /// with no --socket, then reloads it.
    @Test(.enabled(if: FileSystem.isExecutable("/usr/bin/systemd-socket-activate"), "needs systemd-socket-activate (Debian: systemd)"))
    func vcctlFindsTheActivatedDaemonAtTheUnitsPath() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let runtime = folder.file("runtime")
        try FileSystem.makeDirectories(runtime + "/visioncraft", permissions: 0o700)
        var environment = isolatedEnvironment(in: folder)
        environment["XDG_RUNTIME_DIR"] = runtime
        // Not the default (the emulator): seen in the status only if
        // systemd-socket-activate handed it on (-E).
        environment["VISIONCRAFT_UPSTREAM"] = "http://127.0.0.1:9"
        let daemonEnvironment = environment
        let (status, reload) = try await offPool {
            let errors = try FileDescriptor.pipe()
            var options = ChildProcess.Options(
                executable: "/usr/bin/systemd-socket-activate",
                arguments: SanitizedRun.socketActivateArguments + ["-E", "VISIONCRAFT_UPSTREAM", "-l", runtime + "/visioncraft/visioncraftd.sock", try BuiltProducts.path("visioncraftd"), "--log-file", folder.file("log")],
                environment: daemonEnvironment
            )
            options.standardError = .descriptor(errors.write)
            options.standardOutput = .null
            let child = try ChildProcess.spawn(options)
            try errors.write.close()
            defer {
                child.send(.terminate)
                _ = try? child.wait()
            }
            // Kept open to the end: systemd-socket-activate writes more, and a
            // closed pipe would kill it with SIGPIPE.
            let announcements = LineClient(descriptor: errors.read)
            let announcement = try announcements.readLine(timeout: TestTime.scaled(.seconds(20)))
            guard announcement.hasPrefix("Listening on") else { throw TestFailure("unexpected: \(announcement)") }
            let vcctl = try BuiltProducts.path("vcctl")
            let status = try runProcess(vcctl, ["--no-start", "--json", "status"], environment: daemonEnvironment)
            let reload = try runProcess(vcctl, ["--no-start", "daemon", "reload"], environment: daemonEnvironment)
            withExtendedLifetime(announcements) {}
            return (status, reload)
        }
        let log = (try? FileSystem.readFile(folder.file("log"))).map { String(decoding: $0, as: UTF8.self) } ?? "(no log)"
        #expect(status.status == 0, "\(status.standardError)\n\(log)")
        #expect(status.standardOutput.contains(runtime + "/visioncraft/visioncraftd.sock"))
        #expect(status.standardOutput.contains(#""upstream":{"url":"http://127.0.0.1:9","emulator":false,"#), "\(status.standardOutput)")
        #expect(reload.status == 0, "\(reload.standardError)")
        #expect(reload.standardError.contains("reloaded"))
    }

    @Test func theLaunchdAgentListensWhereVcctlLooksOnMacOS() async throws {
        let plist = try text("launchd/io.visioncraft.visioncraftd.plist")
        #expect(plist.contains("<key>Listeners</key>"), "the Sockets entry the daemon takes (DaemonSocket.launchdSocketName)")
        #expect(plist.contains("<integer>384</integer>"), "SockPathMode 0600")
        // Without XDG_RUNTIME_DIR (as on macOS) vcctl looks in /tmp/visioncraft-UID: the plist's path.
        let uid = getuid()
        let path = "/tmp/visioncraft-\(uid)/visioncraftd.sock"
        #expect(plist.replacing("@UID@", with: "\(uid)").contains("<string>\(path)</string>"))
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var environment = isolatedEnvironment(in: folder)
        environment.removeValue(forKey: "XDG_RUNTIME_DIR")
        let probeEnvironment = environment
        let probe = try await offPool { try runProcess(try BuiltProducts.path("vcctl"), ["--no-start", "status"], environment: probeEnvironment) }
        #expect(probe.standardError.contains(path), "\(probe.standardError)")
        // A well-formed property list (python3's plistlib is the parser at hand).
        if let python = ProcessEnvironment.findExecutable(named: "python3") {
            let parsed = try await offPool {
                try runProcess(python, ["-c", "import plistlib,sys; d=plistlib.load(open(sys.argv[1],'rb')); print(d['Label'], d['Sockets']['Listeners']['SockPathMode'])", Self.root + "/launchd/io.visioncraft.visioncraftd.plist"])
            }
            #expect(parsed.standardOutput == "io.visioncraft.visioncraftd 384\n", "\(parsed.standardError)")
        }
    }
}
