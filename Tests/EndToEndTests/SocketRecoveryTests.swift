import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket file removed (or replaced) under a running daemon: open
/// connections go on, the daemon listens at the path again within about a
/// second, nothing acknowledged is lost, and vcctl waits for it instead of
/// failing on the lock.
@Suite struct SocketRecoveryTests {
    /// One call on an open connection.
    static func ask(_ client: LineClient, _ method: String, _ params: String = "{}") throws -> JSON {
        try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#)
        return try JSONParser.parse(try client.readLine())
    }

    /// Connects to `path` as soon as something listens there (tries every
    /// 10 ms; bounded).
    static func connectWhenBack(_ path: String, timeout: Duration = .seconds(20)) throws -> LineClient {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while true {
            do {
                return try LineClient(path: path)
            } catch let error as SystemError where error.isNoSuchFile || error.isConnectionRefused {
                guard MonotonicInstant.now() < deadline else { throw TestFailure("nothing listened on \(path) within \(timeout)") }
                pauseBriefly(milliseconds: 10)
            }
        }
    }

    /// Why connecting to `path` fails now, or nil if it works.
    static func connectFailure(_ path: String) -> SystemError? {
        do {
            try LineClient(path: path).close()
            return nil
        } catch {
            return error as? SystemError
        }
    }

    @Test func aRemovedSocketFileComesBackAndNothingIsLost() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let daemon = try await offPool { try DaemonProcess.start(arguments: ["--emulator", "--requests-per-minute", "0"], folder: folder) }
        defer { daemon.cleanUp() }
        let path = daemon.socketPath
        let (id, openAnswered, fresh, job, openAfter, file) = try await offPool {
            let open = try daemon.connect()
            let id = try Self.ask(open, "job.submit", #"{"prompt":"acknowledged before the file went"}"#)["result"]?["id"]?.stringValue ?? ""
            try FileSystem.removeFile(path)
            let openAnswered = try Self.ask(open, "daemon.status")["result"]?["pid"]?.intValue
            let client = try Self.connectWhenBack(path)
            let fresh = try Self.ask(client, "daemon.status")
            let job = try Self.ask(client, "job.get", #"{"id":"\#(id)"}"#)
            let openAfter = try Self.ask(open, "daemon.status")["result"] != nil
            // Logged once the server accepts on the new socket, which may be
            // just after it answered.
            try waitForLog(daemon, containing: "the socket file \(path) was removed while the daemon ran; listening on it again", timeout: TestTime.scaled(.seconds(30)))
            return (id, openAnswered, fresh, job, openAfter, try FileSystem.linkStatus(path))
        }
        #expect(!id.isEmpty)
        #expect(openAnswered == Int(daemon.child.pid), "the connection open before still answers")
        #expect(fresh["result"]?["pid"]?.intValue == Int(daemon.child.pid), "a new connection reaches the same daemon")
        #expect(job["result"]?["id"]?.stringValue == id, "the acknowledged job is still there: \(job)")
        #expect(openAfter)
        #expect(file?.kind == .socket)
        #expect(file?.octalPermissions == "0600")

        let termination = try await offPool { try daemon.terminate() }
        #expect(termination == .exited(0))
        #expect(try FileSystem.linkStatus(path) == nil, "the new socket file is removed on exit like the first")
        #expect(try FileSystem.readFile(path + ".lock").isEmpty, "the lock file names no daemon once it stopped")
    }

    @Test func aFileInTheWayIsReportedOpenConnectionsAreServedAndRemovingItRecovers() async throws {
        let (blocked, openAnswered, kept, fresh, log) = try await withDaemon { daemon in
            let path = daemon.socketPath
            let open = try daemon.connect()
            try FileSystem.removeFile(path)
            try FileSystem.writeFileAtomically(path, Array("precious".utf8))
            try waitForLog(daemon, containing: "was replaced by a regular file while the daemon ran, and it cannot listen there again", timeout: TestTime.scaled(.seconds(30)))
            let blocked = Self.connectFailure(path)
            let openAnswered = try Self.ask(open, "daemon.status")["result"] != nil
            let kept = try FileSystem.readFile(path)
            try FileSystem.removeFile(path)
            let fresh = try Self.ask(try Self.connectWhenBack(path), "daemon.status")
            try waitForLog(daemon, containing: "was replaced by a regular file while the daemon ran; listening on it again", timeout: TestTime.scaled(.seconds(30)))
            return (blocked, openAnswered, kept, fresh, daemon.log())
        }
        #expect(blocked?.isConnectionRefused == true, "a regular file is not a socket: \(String(describing: blocked))")
        #expect(openAnswered, "the connection open before is still served")
        #expect(kept == Array("precious".utf8), "the daemon deletes nothing it did not create")
        #expect(fresh["result"] != nil)
        let lines = log.split(separator: "\n")
        #expect(lines.filter { $0.contains("cannot listen there again") }.count == 1, "one line per problem, not one per second:\n\(log)")
        #expect(lines.contains { $0.contains("move it away") })
    }

    @Test func anActivatedSocketsFileIsLeftToTheServiceManager() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("activated.sock")
        let listener = try UnixSocket.listen(at: path)
        defer { try? listener.close() }
        let log = folder.file("log")
        let (answered, recreated, text) = try await offPool {
            let (child, ready) = try LifecycleTests.spawnActivated(listener: listener, arguments: ["--log-file", log])
            defer {
                try? ready.close()
                child.send(.kill)
                _ = try? child.wait()
            }
            guard try Poll.wait(for: ready, events: .readable, timeout: TestTime.scaled(.seconds(20))) else { throw TestFailure("not ready") }
            let open = try LineClient(path: path)
            try FileSystem.removeFile(path)
            let deadline = MonotonicInstant.now().advanced(by: .seconds(20))
            var text = ""
            while !text.contains("that the service manager passed is gone") {
                guard MonotonicInstant.now() < deadline else { throw TestFailure("the log never said so:\n\(text)") }
                pauseBriefly(milliseconds: 10)
                text = String(decoding: try FileSystem.readFile(log), as: UTF8.self)
            }
            let answered = try Self.ask(open, "daemon.status")["result"] != nil
            return (answered, try FileSystem.linkStatus(path) != nil, text)
        }
        #expect(answered, "the open connection is still served")
        #expect(!recreated, "the service manager owns the file")
        #expect(text.contains("systemctl --user restart visioncraftd.socket"))
    }

    @Test func vcctlWaitsForTheSocketInsteadOfFailingOnTheLock() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        #expect(try FileSystem.readFile(daemon.socketPath + ".lock") == Array("\(daemon.child.pid)\n".utf8), "the lock file names the daemon")
        try FileSystem.removeFile(daemon.socketPath)
        let status = try await vcctl(["--socket", daemon.socketPath, "status"], folder: daemon.folder)
        #expect(status.status == 0, "\(status.standardError)")
        #expect(status.standardOutput.contains("  pid          \(daemon.child.pid)\n"))
        #expect(status.standardError.isEmpty, "\(status.standardError)")
    }

    @Test func vcctlSaysWhatIsInTheWayWhenTheSocketCannotComeBack() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        try FileSystem.removeFile(daemon.socketPath)
        try FileSystem.writeFileAtomically(daemon.socketPath, Array("in the way".utf8))
        let status = try await vcctl(["--socket", daemon.socketPath, "status"], folder: daemon.folder)
        #expect(status.status == 69)
        let message = status.standardError
        #expect(message.contains("a visioncraftd (pid \(daemon.child.pid)) holds \(daemon.socketPath).lock"), "\(message)")
        #expect(message.contains("\(daemon.socketPath) is a regular file, not its socket: move it away"), "\(message)")
        #expect(message.contains("kill \(daemon.child.pid)"), "\(message)")
        #expect(!message.contains("could not start"), "\(message)")
    }
}
