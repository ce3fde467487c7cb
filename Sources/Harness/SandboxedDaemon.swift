import Posix

/// A `visioncraftd` started in a sandbox (`Sandbox`): its socket, log and
/// files in one folder. `start` returns once the daemon said it is ready
/// through `--ready-fd` (an event, not a sleep).
public struct SandboxedDaemon: Sendable {
    public let server: ServerProcess
    public let socket: String
    public let logPath: String
    /// From spawning to "ready" (the socket accepts, the database is open).
    public let startup: Duration

    public var child: ChildProcess { server.child }

    /// Starts visioncraftd and waits (blocking) until it is ready.
    ///
    /// - Parameters:
    ///   - binaries: where the daemon to run is.
    ///   - folder: the sandbox, made if missing (mode 0700).
    ///   - socket: default `<folder>/run/visioncraftd.sock`.
    ///   - arguments: more arguments (the socket, log file, log level and
    ///     ready descriptor are set).
    ///   - environment: default `Sandbox.environment(home: folder)`.
    ///   - logLevel: `--log-level`.
    ///   - readyWithin: how long the start may take.
    public static func start(
        _ binaries: Binaries, folder: String, socket: String? = nil, arguments: [String] = [], environment: [String: String]? = nil,
        logLevel: String = "warning", readyWithin timeout: Duration = TestTime.scaled(.seconds(60))
    ) throws -> SandboxedDaemon {
        try FileSystem.makeDirectories(folder, permissions: 0o700)
        let socket = socket ?? "\(folder)/run/visioncraftd.sock"
        let log = "\(folder)/daemon.log"
        let started = MonotonicInstant.now()
        let (child, ready) = try spawn(
            try binaries.ours("visioncraftd"), arguments: ["--socket", socket, "--log-file", log, "--ready-fd", "3", "--log-level", logLevel] + arguments,
            environment: environment ?? Sandbox.environment(home: folder)
        )
        defer { try? ready.close() }
        guard try Poll.wait(for: ready, events: .readable, timeout: timeout), try ready.readAll() == [0x0A] else {
            child.send(.kill)
            _ = try? child.wait()
            let text = (try? FileSystem.readFile(log)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw HarnessError("visioncraftd did not become ready within \(timeout.seconds) s; its log:\n\(text)")
        }
        return SandboxedDaemon(server: ServerProcess(name: "visioncraftd", child: child), socket: socket, logPath: log, startup: started.elapsed)
    }

    /// Starts `executable` with a pipe on descriptor 3 for `--ready-fd`;
    /// returns the child and the pipe's read end, which the caller closes.
    public static func spawn(
        _ executable: String, arguments: [String], environment: [String: String]?
    ) throws -> (ChildProcess, FileDescriptor) {
        let ready = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: executable, arguments: arguments, environment: environment)
        options.extraDescriptors = [3: ready.write]
        // Never this process's own output pipes: a daemon that outlives a
        // crashed test or benchmark would keep whoever reads them waiting.
        options.standardInput = .null
        options.standardOutput = .null
        options.standardError = .null
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(options)
        } catch {
            try? ready.write.close()
            try? ready.read.close()
            throw error
        }
        try ready.write.close()
        return (child, ready.read)
    }

    /// The daemon's log so far.
    public func log() -> String {
        (try? FileSystem.readFile(logPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
