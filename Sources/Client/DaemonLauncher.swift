import Posix
import VisionCraftProtocol

/// Starts `visioncraftd` in the background for a socket location and waits,
/// without polling, until it is ready: the daemon writes a newline to a pipe
/// (`--ready-fd 3`) once it accepts connections, or the pipe closes because
/// it exited first.
struct DaemonLauncher {
    let location: SocketLocation
    let options: DaemonClient.Options

    /// Where the started daemon logs.
    var logPath: String {
        stateDirectory + "/visioncraftd.log"
    }

    /// `$XDG_STATE_HOME/visioncraft`, else `~/.local/state/visioncraft`,
    /// else the socket's folder.
    var stateDirectory: String {
        if let state = options.environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/visioncraft"
        }
        if let home = options.environment["HOME"], home.hasPrefix("/") {
            return home + "/.local/state/visioncraft"
        }
        return location.folder
    }

    /// The daemon to run: the option, else `visioncraftd` beside this
    /// executable, else on PATH.
    func daemonExecutable() -> String? {
        if let explicit = options.daemonExecutable { return explicit }
        if let own = ProcessEnvironment.executablePath() {
            let sibling = FileSystem.parentDirectory(of: own) + "/visioncraftd"
            if FileSystem.isExecutable(sibling) { return sibling }
        }
        return ProcessEnvironment.findExecutable(named: "visioncraftd", searchPath: options.environment["PATH"])
    }

    /// What came of a start.
    enum Outcome: Equatable {
        /// The daemon started signalled ready: its socket accepts connections.
        case ready
        /// It exited saying another daemon already runs (one that another
        /// client started at the same time, or one whose socket file is
        /// missing for now): the caller connects to that one.
        case alreadyRunning
    }

    /// Starts the daemon and waits until it is ready or has exited.
    func start() throws(DaemonClientError) -> Outcome {
        let path = location.path
        guard let executable = daemonExecutable() else {
            throw .startFailed(path: path, detail: "visioncraftd is neither next to this program nor on PATH")
        }
        _ = try? FileSystem.makeDirectories(stateDirectory, permissions: 0o700)

        let child: ChildProcess
        let pipe: (read: FileDescriptor, write: FileDescriptor)
        do {
            pipe = try FileDescriptor.pipe()
        } catch {
            throw .startFailed(path: path, detail: "\(error)")
        }
        let ready = pipe.read
        defer { try? ready.close() }
        do {
            defer { try? pipe.write.close() }
            var spawn = ChildProcess.Options(
                executable: executable,
                arguments: ["--socket", path, "--log-file", logPath, "--ready-fd", "3"],
                environment: options.environment.variablesForChild
            )
            spawn.standardInput = .null
            spawn.standardOutput = .null
            spawn.standardError = .null
            spawn.extraDescriptors = [3: pipe.write]
            spawn.newSession = true
            child = try ChildProcess.spawn(spawn)
        } catch {
            throw .startFailed(path: path, detail: "\(executable): \(error)")
        }

        let signalled: Bool
        do {
            guard try Poll.wait(for: ready, events: .readable, timeout: options.startTimeout) else {
                throw DaemonClientError.startFailed(
                    path: path, detail: "it did not become ready within \(options.startTimeout.seconds) s; see \(logPath)"
                )
            }
            var byte: UInt8 = 0
            let result = try withUnsafeMutableBytes(of: &byte) { try ready.read(into: $0) }
            signalled = result == .bytes(1)
        } catch let error as DaemonClientError {
            throw error
        } catch {
            throw .startFailed(path: path, detail: "\(error)")
        }
        if signalled {
            child.reapInBackground()
            return .ready
        }

        // The pipe closed without a newline: the daemon exited. Status 1 is
        // "already running" (another client started one at the same time).
        let termination = try? child.wait()
        if termination == .exited(1), lastLogLines().contains(where: { $0.contains("already running") }) {
            return .alreadyRunning
        }
        let reason = termination.map { "it \($0)" } ?? "it exited"
        let log = lastLogLines().suffix(3).joined(separator: " | ")
        throw .startFailed(path: path, detail: log.isEmpty ? "\(reason); see \(logPath)" : "\(reason): \(log)")
    }

    /// Runs the daemon that `start` would run with `--check-config` (and
    /// `--config configPath` when given): nil when a start would get past its
    /// command line, configuration file and environment, else what it said.
    func checkConfiguration(configPath: String?) -> String? {
        guard let executable = daemonExecutable() else { return "visioncraftd is neither next to this program nor on PATH" }
        do {
            let errors = try FileDescriptor.pipe()
            var spawn = ChildProcess.Options(
                executable: executable, arguments: ["--check-config"] + (configPath.map { ["--config", $0] } ?? []),
                environment: options.environment.variablesForChild
            )
            spawn.standardInput = .null
            spawn.standardOutput = .null
            spawn.standardError = .descriptor(errors.write)
            let child = try ChildProcess.spawn(spawn)
            try errors.write.close()
            let said = (try? errors.read.readAll(limit: 64 << 10)) ?? []
            try? errors.read.close()
            let termination = try child.wait()
            guard termination != .exited(0) else { return nil }
            let text = String(decoding: said, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "\(executable) \(termination)"
            // The log line's message, without its time stamp and level.
            return text.firstRange(of: " error: ").map { String(text[$0.upperBound...]) } ?? text
        } catch {
            return "cannot run \(executable) --check-config: \(error)"
        }
    }

    /// The last lines of the daemon's log.
    private func lastLogLines() -> [String] {
        guard let bytes = try? FileSystem.readFile(logPath) else { return [] }
        let tail = bytes.suffix(4096)
        return String(decoding: tail, as: UTF8.self).split(separator: "\n").suffix(10).map(String.init)
    }
}
