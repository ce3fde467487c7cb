import Posix

/// A visioncraftd started for a benchmark, with every file it keeps (socket,
/// job database, key, images) in `folder`, never in the real home.
public struct BenchmarkDaemon: Sendable {
    public let server: ServerProcess
    public let socket: String
    /// From spawning to "ready" (the socket accepts, the database is open).
    public let startup: Duration

    /// Starts visioncraftd from `binaries` with its files in `folder`, and
    /// waits until it is ready (`--ready-fd`).
    public static func start(
        _ binaries: BenchmarkBinaries, folder: String, arguments: [String] = [], environment extra: [String: String] = [:]
    ) throws -> BenchmarkDaemon {
        try FileSystem.makeDirectories(folder, permissions: 0o700)
        let socket = "\(folder)/run/visioncraftd.sock"
        let ready = try FileDescriptor.pipe()
        var environment = ProcessEnvironment.variables()
        environment["HOME"] = folder
        environment["XDG_STATE_HOME"] = "\(folder)/state"
        environment["XDG_CONFIG_HOME"] = "\(folder)/config"
        for name in ["VISIONCRAFT_API_KEY", "VISIONCRAFT_UPSTREAM", "VISIONCRAFT_SOCKET"] { environment.removeValue(forKey: name) }
        for (name, value) in extra { environment[name] = value }
        var options = ChildProcess.Options(
            executable: try binaries.ours("visioncraftd"),
            arguments: ["--socket", socket, "--ready-fd", "3", "--log-level", "warning", "--log-file", "\(folder)/daemon.log"] + arguments,
            environment: environment
        )
        options.extraDescriptors = [3: ready.write]
        let started = MonotonicInstant.now()
        let child = try ChildProcess.spawn(options)
        try? ready.write.close()
        defer { try? ready.read.close() }
        guard try Poll.wait(for: ready.read, events: .readable, timeout: .seconds(60)), try ready.read.readAll() == [0x0A] else {
            child.send(.kill)
            _ = try? child.wait()
            let log = (try? FileSystem.readFile("\(folder)/daemon.log")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw BenchmarkError("visioncraftd did not become ready: \(log)")
        }
        return BenchmarkDaemon(server: ServerProcess(name: "visioncraftd", child: child), socket: socket, startup: started.elapsed)
    }
}
