import Posix
import TestSupport

/// What systemd does for a socket unit, in a test: it holds a listening
/// socket for its whole life and, whenever a connection waits and no daemon
/// runs, starts `visioncraftd` with the socket as descriptor 3 (`LISTEN_FDS`,
/// `LISTEN_PID` set to the daemon's own pid, through `sh`'s exec). A daemon
/// that exits leaves the socket listening; the next connection starts a new
/// one. (`systemd-socket-activate` exits with its daemon, so it cannot show
/// that.)
final class FakeServiceManager: @unchecked Sendable {
    let socketPath: String
    private let listener: FileDescriptor
    private let state = ThreadCondition(State())
    private var thread: OSThread?

    private struct State {
        var stopping = false
        var running: ChildProcess?
        /// Every daemon started, in order.
        var started: [Int32] = []
    }

    /// Listens at `socketPath` and starts daemons with `arguments` and
    /// `environment` on demand.
    init(socketPath: String, arguments: [String], environment: [String: String]) throws {
        self.socketPath = socketPath
        try FileSystem.makeDirectories(FileSystem.parentDirectory(of: socketPath), permissions: 0o700)
        listener = try UnixSocket.listen(at: socketPath)
        let executable = try BuiltProducts.path("visioncraftd")
        let listener = self.listener
        let state = self.state
        thread = try OSThread.spawn(name: "fake-systemd") {
            while !state.read({ $0.stopping }) {
                guard (try? Poll.wait(for: listener, events: .readable, timeout: .milliseconds(50))) == true else { continue }
                var options = ChildProcess.Options(
                    executable: "/bin/sh",
                    arguments: ["-c", #"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@""#, executable] + arguments,
                    environment: environment
                )
                options.extraDescriptors = [3: listener]
                options.standardInput = .null
                options.standardOutput = .null
                options.standardError = .null
                guard let child = try? ChildProcess.spawn(options) else { return }
                state.update {
                    $0.running = child
                    $0.started.append(child.pid)
                }
                _ = try? child.wait()
                state.update { $0.running = nil }
            }
        }
    }

    /// The daemons started so far, in order.
    var started: [Int32] { state.read { $0.started } }

    /// Stops starting daemons, kills the one that runs, closes the socket.
    func stop() {
        let running = state.update { state -> ChildProcess? in
            state.stopping = true
            return state.running
        }
        running?.send(.kill)
        thread?.join()
        try? listener.close()
        _ = try? FileSystem.removeFile(socketPath)
    }
}
