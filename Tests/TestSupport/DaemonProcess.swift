import Harness
import Posix

/// A `visioncraftd` process started for a test (`SandboxedDaemon`), on a
/// socket in a private temporary folder that `cleanUp` removes; its log goes
/// to a file.
public final class DaemonProcess: @unchecked Sendable {
    public let folder: TemporaryDirectory
    public let socketPath: String
    public let logPath: String
    public let child: ChildProcess

    private init(folder: TemporaryDirectory, daemon: SandboxedDaemon) {
        self.folder = folder
        self.socketPath = daemon.socket
        self.logPath = daemon.logPath
        self.child = daemon.child
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
        let daemon = try SandboxedDaemon.start(
            BuiltProducts.binaries, folder: folder.path, socket: socketPath, arguments: arguments,
            environment: environment ?? isolatedEnvironment(in: folder), logLevel: "debug", readyWithin: TestTime.scaled(.seconds(20))
        )
        return DaemonProcess(folder: folder, daemon: daemon)
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
