import Client
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// Client options for a socket in `folder`, starting the built daemon.
func options(_ folder: TemporaryDirectory, socket: String, autoStart: Bool = true) throws -> DaemonClient.Options {
    var options = DaemonClient.Options(
        socketFlag: socket,
        environment: Environment(["HOME": folder.path, "XDG_STATE_HOME": folder.file("state"), "PATH": "/usr/bin:/bin"])
    )
    options.autoStart = autoStart
    options.daemonExecutable = try BuiltProducts.path("visioncraftd")
    options.callTimeout = .seconds(10)
    return options
}

/// Asks the daemon on `socket` to stop and waits until it is gone.
func shutDown(_ client: DaemonClient) throws {
    _ = try client.call(DaemonShutdown.self, NoParameters())
    _ = try? client.rpc.nextNotification(timeout: TestTime.scaled(.seconds(10)))
}

@Suite struct DaemonClientTests {
    @Test func connectsToARunningDaemon() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        let (pid, started) = try await offPool {
            let client = try DaemonClient.connect(try options(daemon.folder, socket: daemon.socketPath, autoStart: false))
            defer { client.close() }
            return (try client.call(DaemonStatus.self, NoParameters()).pid, client.startedDaemon)
        }
        #expect(pid == Int(daemon.child.pid))
        #expect(!started)
    }

    @Test func startsADaemonWhenNoneAnswers() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/d.sock")
        let (status, started) = try await offPool {
            let client = try DaemonClient.connect(try options(folder, socket: socket))
            defer { client.close() }
            let status = try client.call(DaemonStatus.self, NoParameters())
            let started = client.startedDaemon
            try shutDown(client)
            return (status, started)
        }
        #expect(started)
        #expect(status.socket == socket)
        let log = String(decoding: try FileSystem.readFile(folder.file("state/visioncraft/visioncraftd.log")), as: UTF8.self)
        #expect(log.contains("listening on \(socket)"))
    }

    @Test func concurrentAutoStartsEndWithOneDaemon() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("d.sock")
        let pids = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await offPool {
                        let client = try DaemonClient.connect(try options(folder, socket: socket))
                        defer { client.close() }
                        return (try client.call(DaemonStatus.self, NoParameters()).pid, client.startedDaemon)
                    }
                }
            }
            var results: [(Int, Bool)] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(Set(pids.map(\.0)).count == 1, "every client reached the same daemon: \(pids)")
        #expect(pids.filter(\.1).count >= 1)
        try await offPool {
            let client = try DaemonClient.connect(try options(folder, socket: socket, autoStart: false))
            try shutDown(client)
        }
    }

    @Test func withoutAutoStartNothingIsStarted() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let error = try await offPool { () -> DaemonClientError? in
            do {
                _ = try DaemonClient.connect(try options(folder, socket: folder.file("none.sock"), autoStart: false))
                return nil
            } catch let error as DaemonClientError {
                return error
            }
        }
        guard case .unavailable(_, let reason)? = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return
        }
        #expect(reason == "no socket file")
        #expect(try FileSystem.linkStatus(folder.file("none.sock")) == nil)
    }

    @Test func aStaleSocketIsReportedAsSuch() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try makeStaleSocket(at: folder.file("stale.sock"))
        let error = try await offPool { () -> DaemonClientError? in
            do {
                _ = try DaemonClient.connect(try options(folder, socket: folder.file("stale.sock"), autoStart: false))
                return nil
            } catch let error as DaemonClientError {
                return error
            }
        }
        #expect(error?.description.contains("the socket file is stale") == true)
    }

    @Test func aDaemonThatExitsEarlyIsAStartFailureWithItsReason() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectory(folder.file("shared"), permissions: 0o755)
        try FileSystem.setPermissions(folder.file("shared"), 0o755)
        let error = try await offPool { () -> DaemonClientError? in
            do {
                _ = try DaemonClient.connect(try options(folder, socket: folder.file("shared/d.sock")))
                return nil
            } catch let error as DaemonClientError {
                return error
            }
        }
        guard case .startFailed(_, let detail)? = error else {
            Issue.record("expected a start failure, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("exited with status 78"))
        #expect(detail.contains("refusing the socket folder"))
    }

    @Test func aMissingDaemonExecutableIsAStartFailure() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        var settings = try options(folder, socket: folder.file("d.sock"))
        settings.daemonExecutable = folder.file("no-such-visioncraftd")
        let fixed = settings
        let error = try await offPool { () -> DaemonClientError? in
            do {
                _ = try DaemonClient.connect(fixed)
                return nil
            } catch let error as DaemonClientError {
                return error
            }
        }
        guard case .startFailed? = error else {
            Issue.record("expected a start failure, got \(String(describing: error))")
            return
        }
    }

    @Test func theSocketResolvesLikeTheDaemonDoes() {
        var settings = DaemonClient.Options(environment: Environment(["XDG_RUNTIME_DIR": "/run/user/7"]))
        #expect(DaemonClient.location(for: settings).path == "/run/user/7/visioncraft/visioncraftd.sock")
        settings.socketFlag = "/tmp/explicit.sock"
        #expect(DaemonClient.location(for: settings).source == .flag)
    }
}
