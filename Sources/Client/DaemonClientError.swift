import JSONRPC

/// Why a client could not reach the daemon or get an answer, with what to do.
public enum DaemonClientError: Error, Sendable, CustomStringConvertible {
    /// No daemon answers at `path`, and none was started (`--no-start`, or
    /// starting is not possible).
    case unavailable(path: String, reason: String)
    /// A daemon was started but did not become ready.
    case startFailed(path: String, detail: String)
    /// The socket is served by another user's process.
    case untrustedServer(path: String, uid: UInt32)
    /// The socket path does not fit in sun_path.
    case invalidPath(String)
    /// The connection worked but the call failed.
    case call(RPCClientError)

    public var description: String {
        switch self {
        case .unavailable(let path, let reason):
            "no daemon answers on \(path) (\(reason)); start one with 'vcctl daemon start', or leave out --no-start"
        case .startFailed(let path, let detail):
            "could not start visioncraftd for \(path): \(detail)"
        case .untrustedServer(let path, let uid):
            "refusing to talk to \(path): it is served by uid \(uid), not by you or root"
        case .invalidPath(let message):
            message
        case .call(let error):
            error.description
        }
    }
}
