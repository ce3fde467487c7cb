import JSON
import JSONRPC
import Posix
import VisionCraftProtocol

/// A connection to the daemon, made the way every client should: resolve the
/// socket like the daemon does, check that the daemon is ours (same uid or
/// root), and start one when none answers.
///
/// Blocking, for command-line tools and tests; not for Swift's cooperative pool.
package final class DaemonClient {
    /// How to connect.
    package struct Options: Sendable {
        /// `--socket PATH`, if given.
        package var socketFlag: String?
        /// The environment (for VISIONCRAFT_SOCKET, XDG_RUNTIME_DIR, XDG_STATE_HOME, PATH).
        package var environment: Environment
        /// Start visioncraftd when no daemon answers.
        package var autoStart = true
        /// The daemon executable to start; nil finds it next to this program,
        /// else on PATH.
        package var daemonExecutable: String?
        /// How long a started daemon may take to become ready.
        package var startTimeout: Duration = .seconds(10)
        /// How long a call may wait for its answer; nil waits forever.
        package var callTimeout: Duration?
        /// How long to wait for the socket file of a daemon that holds the
        /// lock but has lost its file (it listens there again within a
        /// second), before saying so.
        package var socketReturnTimeout: Duration = .seconds(3)

        package init(socketFlag: String? = nil, environment: Environment = .process) {
            self.socketFlag = socketFlag
            self.environment = environment
        }
    }

    /// Where the socket is.
    package let location: SocketLocation
    /// True if this client started the daemon.
    package let startedDaemon: Bool
    private let connection: RPCClient
    private let callTimeout: Duration?

    private init(location: SocketLocation, connection: RPCClient, startedDaemon: Bool, callTimeout: Duration?) {
        self.location = location
        self.connection = connection
        self.startedDaemon = startedDaemon
        self.callTimeout = callTimeout
    }

    /// Where the socket is for `options`, without connecting.
    package static func location(for options: Options) -> SocketLocation {
        SocketLocation.resolve(
            flag: options.socketFlag,
            environment: { options.environment[$0] },
            userID: UInt32(getuid()),
            workingDirectory: ProcessEnvironment.workingDirectory()
        )
    }

    /// Where a daemon started by a client logs (`$XDG_STATE_HOME/visioncraft/
    /// visioncraftd.log`).
    package static func logPath(for options: Options) -> String {
        DaemonLauncher(location: location(for: options), options: options).logPath
    }

    /// Whether the daemon a client would start accepts its command line, its
    /// configuration file (`configPath`, else the default) and the
    /// environment (`visioncraftd --check-config`): nil when it does, else
    /// its message (a restart checks this before it stops a working daemon).
    package static func checkDaemonConfiguration(for options: Options, configPath: String? = nil) -> String? {
        DaemonLauncher(location: location(for: options), options: options).checkConfiguration(configPath: configPath)
    }

    /// Connects, starting the daemon first if none answers and `autoStart` is on.
    ///
    /// A daemon that holds the socket's lock but whose socket file is
    /// missing (removed under it) listens there again within a second: the
    /// client waits for that, up to `socketReturnTimeout`, instead of
    /// starting a daemon that would find the lock held.
    package static func connect(_ options: Options) throws(DaemonClientError) -> DaemonClient {
        let location = location(for: options)
        let returnDeadline = MonotonicInstant.now().advanced(by: options.socketReturnTimeout)
        func client(_ descriptor: FileDescriptor, started: Bool) -> DaemonClient {
            DaemonClient(location: location, connection: RPCClient(descriptor: descriptor), startedDaemon: started, callTimeout: options.callTimeout)
        }
        switch attempt(location.path) {
        case .connected(let descriptor):
            return client(descriptor, started: false)
        case .failed(let error):
            throw error
        case .nobodyListens(let reason):
            if let holder = liveLockHolder(location) {
                switch awaitSocket(location, until: returnDeadline, holder: holder) {
                case .connected(let descriptor):
                    return client(descriptor, started: false)
                case .failed(let error):
                    throw error
                case .released:
                    break  // the holder stopped: start a daemon as usual
                case .timedOut:
                    // The recorded process may be a stranger that got the
                    // pid of a crashed daemon: starting one tells for sure.
                    guard options.autoStart else { throw socketMissing(location, pid: holder, waited: options.socketReturnTimeout) }
                }
            }
            guard options.autoStart else { throw .unavailable(path: location.path, reason: reason) }
        }
        let launcher = DaemonLauncher(location: location, options: options)
        switch try launcher.start() {
        case .alreadyRunning:
            // Another daemon holds the lock: one another client is starting,
            // or one whose socket file is missing for now.
            let holder = recordedLockHolder(location)
            switch awaitSocket(location, until: returnDeadline, holder: holder) {
            case .connected(let descriptor):
                return client(descriptor, started: false)
            case .failed(let error):
                throw error
            case .released:
                throw .startFailed(path: location.path, detail: "the daemon that held \(location.lockPath) stopped before it listened; see \(launcher.logPath)")
            case .timedOut:
                throw socketMissing(location, pid: holder, waited: options.socketReturnTimeout)
            }
        case .ready:
            // Ready was signalled: the socket accepts connections.
            let deadline = MonotonicInstant.now().advanced(by: options.startTimeout)
            switch awaitSocket(location, until: deadline, holder: nil) {
            case .connected(let descriptor):
                return client(descriptor, started: true)
            case .failed(let error):
                throw error
            case .released, .timedOut:
                throw .startFailed(path: location.path, detail: "started, but nothing answers on the socket; see \(launcher.logPath)")
            }
        }
    }

    /// Calls a typed method.
    package func call<Method: RPCMethod>(
        _ method: Method.Type, _ parameters: Method.Parameters, timeout: Duration? = nil
    ) throws(DaemonClientError) -> Method.Result {
        do {
            return try connection.call(method, parameters, timeout: timeout ?? callTimeout)
        } catch {
            throw .call(error)
        }
    }

    /// Calls a method by name with raw params (for `vcctl rpc`).
    package func call(_ method: String, params: JSON?) throws(DaemonClientError) -> JSON {
        do {
            return try connection.call(method, params: params, timeout: callTimeout)
        } catch {
            throw .call(error)
        }
    }

    /// The underlying JSON-RPC connection (for notifications).
    package var rpc: RPCClient { connection }

    /// Closes the connection.
    package func close() {
        connection.close()
    }

    // MARK: Private

    private enum Attempt {
        case connected(FileDescriptor)
        case nobodyListens(String)
        case failed(DaemonClientError)
    }

    private enum Wait {
        case connected(FileDescriptor)
        case failed(DaemonClientError)
        /// The lock holder stopped (its process is gone, or it emptied the
        /// lock file).
        case released
        case timedOut
    }

    /// Tries to connect every 10 ms until it works or `deadline` passes;
    /// with a `holder`, gives up as soon as that daemon no longer holds the
    /// lock. Tries at least once.
    private static func awaitSocket(_ location: SocketLocation, until deadline: MonotonicInstant, holder: Int32?) -> Wait {
        while true {
            switch attempt(location.path) {
            case .connected(let descriptor): return .connected(descriptor)
            case .failed(let error): return .failed(error)
            case .nobodyListens: break
            }
            if let holder, liveLockHolder(location) != holder { return .released }
            if MonotonicInstant.now() >= deadline { return .timedOut }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
    }

    /// The process id the lock file records (see `DaemonLockRecord`).
    private static func recordedLockHolder(_ location: SocketLocation) -> Int32? {
        guard let bytes = try? FileSystem.readFile(location.lockPath, limit: 64) else { return nil }
        return DaemonLockRecord.pid(in: bytes)
    }

    /// The recorded lock holder, if that process runs (and is ours: `kill`
    /// with no signal succeeds). A daemon that stops empties the record; one
    /// that crashed leaves it, and its pid may since belong to a stranger.
    private static func liveLockHolder(_ location: SocketLocation) -> Int32? {
        guard let pid = recordedLockHolder(location), kill(pid_t(pid), 0) == 0 else { return nil }
        return pid
    }

    /// The error for a lock held with no socket, saying what is at the path.
    private static func socketMissing(_ location: SocketLocation, pid: Int32?, waited: Duration) -> DaemonClientError {
        let path = location.path
        let seconds = waited.seconds
        let shown = seconds == seconds.rounded() && seconds < 1e9 ? "\(Int(seconds))" : "\(seconds)"
        let detail: String
        switch (try? FileSystem.linkStatus(path))?.kind {
        case nil:
            detail = "its socket file \(path) is missing; a daemon listens there again within a second, and vcctl waited \(shown) s"
        case .socket:
            detail = "nobody answers on its socket file \(path) (vcctl waited \(shown) s)"
        case .regular:
            detail = "\(path) is a regular file, not its socket: move it away, and the daemon listens there again within a second"
        case .directory:
            detail = "\(path) is a directory, not its socket: move it away, and the daemon listens there again within a second"
        case .some:
            detail = "\(path) is not a socket: move it away, and the daemon listens there again within a second"
        }
        return .socketMissing(path: location.path, pid: pid, detail: detail)
    }

    private static func attempt(_ path: String) -> Attempt {
        do {
            let fd = try UnixSocket.connect(to: path)
            do {
                let peer = try PeerCredentials.of(fd)
                guard peer.isTrusted(by: getuid()) else {
                    try? fd.close()
                    return .failed(.untrustedServer(path: path, uid: UInt32(peer.uid)))
                }
            } catch {
                try? fd.close()
                return .failed(.unavailable(path: path, reason: "cannot check who serves the socket: \(error.reason)"))
            }
            return .connected(fd)
        } catch let error as SocketPathTooLongError {
            return .failed(.invalidPath(error.description))
        } catch let error as SystemError where error.isNoSuchFile {
            return .nobodyListens("no socket file")
        } catch let error as SystemError where error.isConnectionRefused {
            return .nobodyListens("the socket file is stale: nobody listens")
        } catch let error as SystemError {
            return .failed(.unavailable(path: path, reason: error.reason))
        } catch {
            return .failed(.unavailable(path: path, reason: "\(error)"))
        }
    }
}
