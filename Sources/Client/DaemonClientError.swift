import JSONRPC

/// Why a client could not reach the daemon or get an answer, with what to do.
package enum DaemonClientError: Error, Sendable, CustomStringConvertible {
    /// No daemon answers at `path`, and none was started (`--no-start`, or
    /// starting is not possible).
    case unavailable(path: String, reason: String)
    /// A daemon was started but did not become ready.
    case startFailed(path: String, detail: String)
    /// A daemon holds the socket's lock, so no other may start, but its
    /// socket file did not come back in time (`pid` when the lock file
    /// records it; `detail` says what is at the path).
    case socketMissing(path: String, pid: Int32?, detail: String)
    /// The socket is served by another user's process.
    case untrustedServer(path: String, uid: UInt32)
    /// The socket path does not fit in sun_path.
    case invalidPath(String)
    /// The connection worked but the call failed.
    case call(RPCClientError)

    package var description: String {
        switch self {
        case .unavailable(let path, let reason):
            "no daemon answers on \(path) (\(reason)); start one with 'vcctl daemon start', or leave out --no-start"
        case .startFailed(let path, let detail):
            "could not start visioncraftd for \(path): \(detail)"
        case .socketMissing(let path, let pid, let detail):
            if let pid {
                "a visioncraftd (pid \(pid)) holds \(path).lock but \(detail). See its log (vcctl daemon logs). "
                    + "If this persists, stop it with 'kill \(pid)' (a graceful stop) and run vcctl again to start a new one"
            } else {
                "another visioncraftd holds \(path).lock but \(detail). "
                    + "If this persists, find it with 'lsof \(path).lock', stop it with kill, and run vcctl again to start a new one"
            }
        case .untrustedServer(let path, let uid):
            "refusing to talk to \(path): it is served by uid \(uid), not by you or root"
        case .invalidPath(let message):
            message
        case .call(let error):
            error.description
        }
    }
}
