import Posix

/// A `visioncraftd` process started for a test, on a socket in a private
/// temporary folder. `start` returns once the daemon signalled ready through
/// `--ready-fd` (an event, not a sleep); its log goes to a file.
public final class DaemonProcess: @unchecked Sendable {
    public let folder: TemporaryDirectory
    public let socketPath: String
    public let logPath: String
    public let child: ChildProcess

    private init(folder: TemporaryDirectory, socketPath: String, logPath: String, child: ChildProcess) {
        self.folder = folder
        self.socketPath = socketPath
        self.logPath = logPath
        self.child = child
    }

    /// Starts a daemon and waits until it is ready (blocking: call in `offPool`).
    ///
    /// - Parameters:
    ///   - arguments: extra arguments (the socket, log file and ready fd are set).
    ///   - socketPath: default `<folder>/run/visioncraftd.sock`.
    ///   - environment: default `isolatedEnvironment(in: folder)`: the job
    ///     database under `<folder>/state`, images under `<folder>/Pictures`.
    public static func start(
        arguments: [String] = [],
        folder existing: TemporaryDirectory? = nil,
        socketPath: String? = nil,
        environment: [String: String]? = nil
    ) throws -> DaemonProcess {
        let folder = try existing ?? TemporaryDirectory()
        let socket = socketPath ?? folder.file("run/visioncraftd.sock")
        let log = folder.file("daemon.log")
        let (child, ready) = try spawn(
            arguments: ["--socket", socket, "--log-file", log, "--ready-fd", "3", "--log-level", "debug"] + arguments,
            environment: environment ?? isolatedEnvironment(in: folder)
        )
        defer { try? ready.close() }
        guard try Poll.wait(for: ready, events: .readable, timeout: TestTime.scaled(.seconds(20))), try ready.readAll() == [0x0A] else {
            child.send(.kill)
            _ = try? child.wait()
            let text = (try? FileSystem.readFile(log)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw TestFailure("visioncraftd did not become ready; its log:\n\(text)")
        }
        return DaemonProcess(folder: folder, socketPath: socket, logPath: log, child: child)
    }

    /// Starts visioncraftd with a pipe on descriptor 3 for readiness; returns
    /// the child and the pipe's read end.
    public static func spawn(
        arguments: [String],
        environment: [String: String]? = nil
    ) throws -> (ChildProcess, FileDescriptor) {
        let ready = try FileDescriptor.pipe()
        var options = ChildProcess.Options(
            executable: try BuiltProducts.path("visioncraftd"),
            arguments: arguments,
            environment: environment
        )
        options.extraDescriptors = [3: ready.write]
        // Never the test process's own output pipes: a daemon that outlives
        // a crashed test process would keep 'swift test' waiting forever.
        options.standardInput = .null
        options.standardOutput = .null
        options.standardError = .null
        let child = try ChildProcess.spawn(options)
        try ready.write.close()
        return (child, ready.read)
    }

    /// Connects a line client to the daemon.
    public func connect() throws -> LineClient {
        try LineClient(path: socketPath)
    }

    /// The daemon's log so far.
    public func log() -> String {
        (try? FileSystem.readFile(logPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Sends SIGTERM and waits for the exit (blocking).
    @discardableResult
    public func terminate() throws -> ChildProcess.Termination {
        child.send(.terminate)
        return try child.wait()
    }

    /// Kills the daemon if it still runs and removes the folder.
    public func cleanUp() {
        if (try? child.poll()) == nil {
            child.send(.kill)
            _ = try? child.wait()
        }
        folder.remove()
    }
}
