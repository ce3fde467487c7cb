import JSON
import Posix
import Testing
import TestSupport

/// `vcctl daemon stop` and `restart` keep their word beside a service
/// manager, and a restart never trades a working daemon for a broken
/// configuration.
@Suite struct StopAndRestartTests {
    /// vcctl with `folder` as home (its state and configuration there).
    static func vcctl(_ arguments: [String], folder: TemporaryDirectory) throws -> (ProcessOutput, Duration) {
        let started = MonotonicInstant.now()
        let output = try runProcess(try BuiltProducts.path("vcctl"), arguments, environment: isolatedEnvironment(in: folder, extra: ["PATH": "/usr/bin:/bin"]))
        return (output, started.elapsed)
    }

    static func manager(_ folder: TemporaryDirectory) throws -> FakeServiceManager {
        try FakeServiceManager(
            socketPath: folder.file("run/visioncraftd.sock"), arguments: ["--emulator", "--log-file", folder.file("daemon.log")],
            environment: isolatedEnvironment(in: folder)
        )
    }

    @Test func stopReturnsOnceTheProcessIsGoneAndSaysTheManagerStartsItAgain() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (first, stop, again, started) = try await offPool { () -> (JSON, (ProcessOutput, Duration), JSON, [Int32]) in
            let manager = try Self.manager(folder)
            defer { manager.stop() }
            let socket = manager.socketPath
            let first = try JSONParser.parse(try Self.vcctl(["--socket", socket, "--no-start", "--json", "status"], folder: folder).0.standardOutput)
            let stop = try Self.vcctl(["--socket", socket, "--no-start", "daemon", "stop"], folder: folder)
            let again = try JSONParser.parse(try Self.vcctl(["--socket", socket, "--no-start", "--json", "status"], folder: folder).0.standardOutput)
            return (first, stop, again, manager.started)
        }
        #expect(first["service_manager"] == "systemd")
        #expect(stop.0.status == 0, "\(stop.0.standardError)")
        #expect(stop.1 < .seconds(5), "returned once the process was gone, not after waiting for a socket file that stays: \(stop.1)")
        #expect(stop.0.standardError.contains("its socket is systemd's, which starts it again at the next connection"), "\(stop.0.standardError)")
        #expect(started.count == 2, "the next connection started a new daemon")
        #expect(again["pid"]?.intValue == started.last.map(Int.init))
        #expect(first["pid"] != again["pid"])
    }

    @Test func restartHandsOverToTheServiceManager() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (restart, started, pidFile) = try await offPool { () -> ((ProcessOutput, Duration), [Int32], Bool) in
            let manager = try Self.manager(folder)
            defer { manager.stop() }
            let socket = manager.socketPath
            _ = try Self.vcctl(["--socket", socket, "--no-start", "status"], folder: folder)
            let restart = try Self.vcctl(["--socket", socket, "--json", "daemon", "restart"], folder: folder)
            // No daemon of vcctl's own: it would have logged here.
            let ownLog = (try? FileSystem.status(folder.file("state/visioncraft/visioncraftd.log"))).flatMap { $0 } != nil
            return (restart, manager.started, ownLog)
        }
        #expect(restart.0.status == 0, "\(restart.0.standardError)")
        let result = try JSONParser.parse(restart.0.standardOutput)
        #expect(restart.0.standardOutput.filter { $0 == "\n" }.count == 1, "one JSON value: \(restart.0.standardOutput)")
        #expect(started.count == 2)
        #expect(result["previous_pid"]?.intValue == started.first.map(Int.init))
        #expect(result["pid"]?.intValue == started.last.map(Int.init), "the service manager's new daemon, not one of vcctl's")
        #expect(result["service_manager"] == "systemd")
        #expect(!pidFile, "vcctl started no daemon of its own")
    }

    @Test func aBrokenConfigurationKeepsTheRunningDaemon() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/d.sock")
        let (started, restart, after) = try await offPool { () -> (JSON, ProcessOutput, JSON) in
            let started = try JSONParser.parse(try Self.vcctl(["--socket", socket, "--json", "status"], folder: folder).0.standardOutput)
            try FileSystem.makeDirectories(folder.file("config/visioncraft"), permissions: 0o700)
            try FileSystem.writeFileAtomically(folder.file("config/visioncraft/config.toml"), Array("[queue]\nmax_in_flight = 99\n".utf8))
            let restart = try Self.vcctl(["--socket", socket, "daemon", "restart"], folder: folder).0
            let after = try JSONParser.parse(try Self.vcctl(["--socket", socket, "--no-start", "--json", "status"], folder: folder).0.standardOutput)
            _ = try? Self.vcctl(["--socket", socket, "--no-start", "daemon", "stop"], folder: folder)
            return (started, restart, after)
        }
        #expect(restart.status == 78, "\(restart.standardError)")
        #expect(restart.standardError.contains("not restarting:"), "\(restart.standardError)")
        #expect(restart.standardError.contains("config.toml:2: queue.max_in_flight"), "names the line: \(restart.standardError)")
        #expect(after["pid"] == started["pid"], "the working daemon stayed")
    }

    @Test func logsInJSONIsOneValue() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/d.sock")
        let logs = try await offPool { () -> ProcessOutput in
            _ = try Self.vcctl(["--socket", socket, "status"], folder: folder)
            defer { _ = try? Self.vcctl(["--socket", socket, "--no-start", "daemon", "stop"], folder: folder) }
            return try Self.vcctl(["--socket", socket, "--json", "daemon", "logs", "-n", "3"], folder: folder).0
        }
        #expect(logs.status == 0, "\(logs.standardError)")
        let value = try JSONParser.parse(logs.standardOutput)
        #expect(value["lines"]?.arrayValue?.count == 3)
        #expect(value["path"]?.stringValue?.hasSuffix("visioncraftd.log") == true)
    }
}
