import Posix

/// Keeps a daemon reachable at its socket path when the socket file is
/// removed under it (`rm`, a cleaner of /tmp) or replaced: the daemon's
/// main thread calls `check` about once a second, and on SIGHUP and
/// `daemon.reload`.
///
/// A socket the daemon bound is bound again at the same path, with the lock
/// kept, and the server accepts on it; connections open on the old socket go
/// on. While something is in the way (another file at the path, a folder
/// that cannot be written), each distinct problem is logged once, with what
/// to do, and the next check tries again. A socket that systemd or launchd
/// passed belongs to them: its loss is only logged, once.
///
/// - Important: not thread-safe; one thread calls `check`.
struct SocketWatch {
    let socket: DaemonSocket
    let log: Logger
    /// What happened to the file since it was last the one served ("was
    /// removed"), for the line logged when the daemon listens again.
    private(set) var incident: String?
    /// The problem logged last, so that one that persists is logged once.
    private(set) var problem: String?

    init(socket: DaemonSocket, log: Logger) {
        self.socket = socket
        self.log = log
    }

    /// Looks at the socket's path (one `lstat` while all is well) and, for a
    /// socket this daemon bound, listens there again if the file is not the
    /// one served.
    ///
    /// - Parameter serve: makes the server accept on a new listening
    ///   descriptor instead of the old one (`RPCServer.replaceListener`).
    mutating func check(serve: (FileDescriptor) throws(SystemError) -> Void) {
        let condition = socket.inspectFile()
        guard socket.origin == .bound else {
            checkActivated(condition)
            return
        }
        switch condition {
        case .intact, .unknown:
            if incident != nil {
                // Moved away and back: the file served is in place again.
                log.info("the socket file \(socket.path) is back in place")
            }
            incident = nil
            problem = nil
            return
        case .missing:
            if incident == nil { incident = "was removed" }
        case .replaced(let kind):
            if incident == nil { incident = "was replaced by \(kind)" }
        case .unreadable(let error):
            report("\(error)")
            return
        }
        let replacement: DaemonSocket.Replacement
        do {
            replacement = try socket.bindAgain(log: log)
        } catch {
            report(error.message)
            return
        }
        do {
            try serve(replacement.descriptor)
        } catch {
            socket.discard(replacement)
            report("cannot accept on a new socket at \(socket.path) (\(error))")
            return
        }
        socket.adopt(replacement)
        log.warning("the socket file \(socket.path) \(incident ?? "was removed") while the daemon ran; listening on it again")
        incident = nil
        problem = nil
    }

    /// Logs a problem in the way of listening again, unless it was the last
    /// one logged.
    private mutating func report(_ message: String) {
        guard message != problem else { return }
        problem = message
        let lead = incident.map { "the socket file \(socket.path) \($0) while the daemon ran, and it cannot listen there again" }
            ?? "cannot check the socket file \(socket.path)"
        log.error("\(lead): \(message). The connections open now are still served, and the daemon tries again every second")
    }

    /// A socket the service manager passed: its file is the manager's to
    /// re-create; say once that it is gone.
    private mutating func checkActivated(_ condition: DaemonSocket.FileCondition) {
        guard problem == nil else { return }
        switch condition {
        case .intact, .unknown:
            return
        case .missing, .replaced, .unreadable:
            problem = "activated socket file gone"
            log.warning(
                "the socket file \(socket.path) that the service manager passed is gone or replaced; it owns that file, so visioncraftd does not re-create it "
                    + "and new clients cannot connect: restart the socket unit (systemctl --user restart visioncraftd.socket) or the launchd agent"
            )
        }
    }
}
