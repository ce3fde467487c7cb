import JSON
import JSONRPC
import Posix
import VisionCraftProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A connection to the daemon, made the way every client should: resolve the
/// socket like the daemon does, check that the daemon is ours (same uid or
/// root), and start one when none answers.
///
/// Blocking, for command-line tools and tests; not for Swift's cooperative pool.
public final class DaemonClient {
    /// How to connect.
    public struct Options: Sendable {
        /// `--socket PATH`, if given.
        public var socketFlag: String?
        /// The environment (for VISIONCRAFT_SOCKET, XDG_RUNTIME_DIR, XDG_STATE_HOME, PATH).
        public var environment: Environment
        /// Start visioncraftd when no daemon answers.
        public var autoStart = true
        /// The daemon executable to start; nil finds it next to this program,
        /// else on PATH.
        public var daemonExecutable: String?
        /// How long a started daemon may take to become ready.
        public var startTimeout: Duration = .seconds(10)
        /// How long a call may wait for its answer; nil waits forever.
        public var callTimeout: Duration?

        public init(socketFlag: String? = nil, environment: Environment = .process) {
            self.socketFlag = socketFlag
            self.environment = environment
        }
    }

    /// Where the socket is.
    public let location: SocketLocation
    /// True if this client started the daemon.
    public let startedDaemon: Bool
    private let connection: RPCClient
    private let callTimeout: Duration?

    private init(location: SocketLocation, connection: RPCClient, startedDaemon: Bool, callTimeout: Duration?) {
        self.location = location
        self.connection = connection
        self.startedDaemon = startedDaemon
        self.callTimeout = callTimeout
    }

    /// Where the socket is for `options`, without connecting.
    public static func location(for options: Options) -> SocketLocation {
        SocketLocation.resolve(
            flag: options.socketFlag,
            environment: { options.environment[$0] },
            userID: UInt32(getuid()),
            workingDirectory: ProcessEnvironment.workingDirectory()
        )
    }

    /// Where a daemon started by a client logs (`$XDG_STATE_HOME/visioncraft/
    /// visioncraftd.log`).
    public static func logPath(for options: Options) -> String {
        DaemonLauncher(location: location(for: options), options: options).logPath
    }

    /// Connects, starting the daemon first if none answers and `autoStart` is on.
    public static func connect(_ options: Options) throws(DaemonClientError) -> DaemonClient {
        let location = location(for: options)
        switch attempt(location.path) {
        case .connected(let descriptor):
            return DaemonClient(location: location, connection: RPCClient(descriptor: descriptor), startedDaemon: false, callTimeout: options.callTimeout)
        case .failed(let error):
            throw error
        case .nobodyListens(let reason):
            guard options.autoStart else { throw .unavailable(path: location.path, reason: reason) }
        }
        let launcher = DaemonLauncher(location: location, options: options)
        try launcher.start()
        let deadline = MonotonicInstant.now().advanced(by: options.startTimeout)
        // Ready was signalled (or another client's daemon won the race and
        // is starting): connect, retrying briefly in the race case only.
        while true {
            switch attempt(location.path) {
            case .connected(let descriptor):
                return DaemonClient(location: location, connection: RPCClient(descriptor: descriptor), startedDaemon: true, callTimeout: options.callTimeout)
            case .failed(let error):
                throw error
            case .nobodyListens(let reason):
                if MonotonicInstant.now() >= deadline {
                    throw .startFailed(path: location.path, detail: "started, but nothing answers on the socket (\(reason)); see \(launcher.logPath)")
                }
                var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
                nanosleep(&pause, nil)
            }
        }
    }

    /// Calls a typed method.
    public func call<Method: RPCMethod>(
        _ method: Method.Type, _ parameters: Method.Parameters, timeout: Duration? = nil
    ) throws(DaemonClientError) -> Method.Result {
        do {
            return try connection.call(method, parameters, timeout: timeout ?? callTimeout)
        } catch {
            throw .call(error)
        }
    }

    /// Calls a method by name with raw params (for `vcctl rpc`).
    public func call(_ method: String, params: JSON?) throws(DaemonClientError) -> JSON {
        do {
            return try connection.call(method, params: params, timeout: callTimeout)
        } catch {
            throw .call(error)
        }
    }

    /// The underlying JSON-RPC connection (for notifications).
    public var rpc: RPCClient { connection }

    /// Closes the connection.
    public func close() {
        connection.close()
    }

    // MARK: Private

    private enum Attempt {
        case connected(FileDescriptor)
        case nobodyListens(String)
        case failed(DaemonClientError)
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
