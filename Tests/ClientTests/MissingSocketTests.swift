import Client
import JSONRPC
import Posix
import Testing
import TestSupport
import VisionCraftProtocol

/// A daemon that holds the lock while its socket file is missing: the client
/// waits for the file to come back instead of starting a second daemon, and
/// says who holds the lock when it does not come back.
@Suite struct MissingSocketTests {
    @Test func withoutAutoStartTheClientWaitsForTheSocketToComeBack() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        try FileSystem.removeFile(daemon.socketPath)
        let (pid, started) = try await offPool {
            var settings = try options(daemon.folder, socket: daemon.socketPath, autoStart: false)
            settings.socketReturnTimeout = .seconds(30)
            let client = try DaemonClient.connect(settings)
            defer { client.close() }
            return (try client.call(DaemonStatus.self, NoParameters()).pid, client.startedDaemon)
        }
        #expect(pid == Int(daemon.child.pid))
        #expect(!started)
    }

    @Test func aFileInTheWayEndsTheWaitWithTheHolderNamed() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        try FileSystem.removeFile(daemon.socketPath)
        try FileSystem.writeFileAtomically(daemon.socketPath, [0x78])
        let error = try await offPool { () -> DaemonClientError? in
            var settings = try options(daemon.folder, socket: daemon.socketPath, autoStart: false)
            settings.socketReturnTimeout = .milliseconds(300)
            do {
                _ = try DaemonClient.connect(settings)
                return nil
            } catch let error as DaemonClientError {
                return error
            }
        }
        guard case .socketMissing(let path, let pid, let detail)? = error else {
            Issue.record("expected socketMissing, got \(String(describing: error))")
            return
        }
        #expect(path == daemon.socketPath)
        #expect(pid == daemon.child.pid)
        #expect(detail.contains("is a regular file"))
    }

    @Test func aStaleRecordOfADeadDaemonDoesNotDelayAStart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let socket = folder.file("run/d.sock")
        try FileSystem.makeDirectory(folder.file("run"), permissions: 0o700)
        // A daemon that crashed left its pid; no process has it now.
        let dead = try ChildProcess.spawn(ChildProcess.Options(executable: "/bin/true", arguments: []))
        _ = try await offPool { try dead.wait() }
        try FileSystem.writeFileAtomically(socket + ".lock", Array(DaemonLockRecord.text(pid: dead.pid).utf8))
        let (started, elapsed) = try await offPool {
            let begun = MonotonicInstant.now()
            var settings = try options(folder, socket: socket)
            settings.socketReturnTimeout = .seconds(60)
            let client = try DaemonClient.connect(settings)
            defer { client.close() }
            let started = client.startedDaemon
            try shutDown(client)
            return (started, begun.elapsed)
        }
        #expect(started)
        #expect(elapsed < .seconds(30), "no 60 s wait for a daemon that is gone")
    }
}
