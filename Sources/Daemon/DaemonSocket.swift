import Posix
import VisionCraftProtocol

/// The daemon's listening socket and everything that comes with owning it:
/// a private folder, a lock that keeps a second daemon out, replacing a stale
/// socket file, and removing the file on exit. Or, under systemd socket
/// activation, the inherited descriptor as is.
package final class DaemonSocket: Sendable {
    /// How the socket came to be.
    package enum Origin: String, Sendable {
        /// Bound by this daemon at a path.
        case bound
        /// Inherited from systemd (LISTEN_FDS) or another service manager.
        case activated
    }

    /// What is at the socket's path now, compared with the socket served.
    package enum FileCondition: Sendable, Equatable {
        /// The socket file served (for an activated socket: the file that
        /// was there when the daemon started).
        case intact
        /// Nothing is at the path, or its folder is gone.
        case missing
        /// Another file is at the path.
        case replaced(FileStatus.Kind)
        /// The path cannot be examined (`lstat` failed).
        case unreadable(SystemError)
        /// There is no file to compare with (an activated socket with no
        /// path, or whose file was already gone at start).
        case unknown
    }

    /// A socket bound again at the path by `bindAgain()`, not yet served:
    /// `adopt` it once the server accepts on it, else `discard` it.
    package struct Replacement: Sendable {
        /// The new listening descriptor.
        package let descriptor: FileDescriptor
        fileprivate let file: FileStatus
    }

    /// The listening descriptor in use (a new one after `adopt(_:)`).
    package var descriptor: FileDescriptor {
        state.withLock { $0.descriptor }
    }

    /// The socket's path (for an activated socket, what getsockname tells).
    package let path: String
    package let origin: Origin
    /// The service manager that passed an activated socket ("systemd",
    /// "launchd"); nil for a socket this daemon bound. It owns the socket, and
    /// starts the daemon again at the next connection after a stop.
    package let serviceManager: String?
    private let state: Lock<State>

    private struct State {
        var descriptor: FileDescriptor
        /// False once `stopListening()` closed the descriptor.
        var listening = true
        var lock: FileLock?
        /// The file bound at `path` (for an activated socket: the file there
        /// at start, if any).
        var file: FileStatus?
    }

    private init(
        descriptor: FileDescriptor, path: String, origin: Origin, serviceManager: String? = nil, lock: FileLock?, boundFile: FileStatus?
    ) {
        self.path = path
        self.origin = origin
        self.serviceManager = serviceManager
        state = Lock(State(descriptor: descriptor, lock: lock, file: boundFile))
    }

    /// The socket's folder.
    package var folder: String {
        SocketLocation(path: path, source: .flag).folder
    }

    /// The lock file beside the socket.
    package var lockPath: String {
        SocketLocation(path: path, source: .flag).lockPath
    }

    /// The descriptor systemd passes first (SD_LISTEN_FDS_START).
    package static let activationDescriptor = FileDescriptor(rawValue: 3)

    /// Takes the socket systemd passed, if this process was socket-activated
    /// (`LISTEN_PID` is our pid and `LISTEN_FDS` >= 1). The variables are
    /// removed so children do not inherit them.
    ///
    /// - Returns: nil when not activated.
    package static func activated(environment: Environment, log: Logger) throws(DaemonError) -> DaemonSocket? {
        guard let pidText = environment["LISTEN_PID"], let countText = environment["LISTEN_FDS"] else { return nil }
        guard let pid = Int32(pidText), pid == getpid() else { return nil }
        if environment.variablesForChild == nil {
            // The process's own environment: children must not inherit these.
            for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { ProcessEnvironment.removeVariable(name) }
        }
        guard let count = Int(countText), count >= 1 else {
            throw DaemonError(.activation, "LISTEN_FDS is '\(countText)': socket activation needs at least one socket")
        }
        let fd = activationDescriptor
        guard UnixSocket.isListeningStreamSocket(fd) else {
            throw DaemonError(.activation, "socket activation: descriptor 3 is not a listening stream socket; check the .socket unit (ListenStream=)")
        }
        if count > 1 { log.warning("socket activation passed \(count) sockets; serving the first (fd 3) only") }
        do {
            try fd.setCloseOnExec(true)
        } catch {
            throw DaemonError(.system, "socket activation: \(error)")
        }
        let path = UnixSocket.localPath(of: fd) ?? "(inherited socket)"
        return DaemonSocket(descriptor: fd, path: path, origin: .activated, serviceManager: "systemd", lock: nil, boundFile: fileAtStart(path))
    }

    /// The `Sockets` entry of a launchd agent plist that the daemon serves
    /// (see Integrations/launchd).
    package static let launchdSocketName = "Listeners"

    /// Takes the socket launchd created (macOS, `Sockets` → `Listeners` in
    /// the agent's plist), if launchd started this process.
    ///
    /// - Returns: nil when not activated by launchd (always off macOS).
    package static func launchdActivated(log: Logger) throws(DaemonError) -> DaemonSocket? {
        let listener: FileDescriptor?
        do {
            listener = try UnixSocket.launchdListener(named: launchdSocketName)
        } catch {
            throw DaemonError(.activation, "launchd socket activation: \(error); check the plist's Sockets entry")
        }
        guard let fd = listener else { return nil }
        guard UnixSocket.isListeningStreamSocket(fd) else {
            throw DaemonError(.activation, "launchd passed a socket that is not a listening stream socket; check SockType in the plist")
        }
        do {
            try fd.setCloseOnExec(true)
        } catch {
            throw DaemonError(.system, "launchd socket activation: \(error)")
        }
        let path = UnixSocket.localPath(of: fd) ?? "(launchd socket)"
        return DaemonSocket(descriptor: fd, path: path, origin: .activated, serviceManager: "launchd", lock: nil, boundFile: fileAtStart(path))
    }

    /// Binds the socket at `location`: prepares its folder, takes the lock,
    /// replaces a stale socket file, binds with mode 0600 and listens.
    package static func bind(_ location: SocketLocation, log: Logger) throws(DaemonError) -> DaemonSocket {
        let path = location.path
        do {
            try UnixSocket.validate(path: path)
        } catch {
            throw DaemonError(.unsafeLocation, "\(error) (set with --socket or \(SocketLocation.environmentVariable))")
        }
        try preparePrivateFolder(location.folder)

        let lock: FileLock
        do {
            guard let acquired = try FileLock.tryAcquire(location.lockPath) else {
                throw alreadyRunning(location)
            }
            lock = acquired
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(.system, "cannot lock \(location.lockPath): \(error)")
        }
        recordProcessID(in: lock, log: log)

        do {
            try replaceStaleSocket(at: path, log: log)
            // No umask games (the mask is process-wide): the folder is
            // private already, so nobody else can reach the socket before
            // its mode is set.
            let fd = try UnixSocket.listen(at: path)
            try FileSystem.setPermissions(path, 0o600)
            let status = try FileSystem.linkStatus(path)
            return DaemonSocket(descriptor: fd, path: path, origin: .bound, lock: lock, boundFile: status)
        } catch let error as DaemonError {
            lock.release()
            throw error
        } catch {
            lock.release()
            throw DaemonError(.system, "cannot listen on \(path): \(error)")
        }
    }

    /// Closes the socket; a socket this daemon bound has its file removed
    /// (if it is still ours) and its lock released.
    package func close() {
        let lock = state.withLock { $0.lock }
        if origin == .bound {
            removeFileIfOurs()
            lock?.release()
        }
        closeDescriptor()
    }

    /// Closes the listening descriptor of a socket this daemon bound, for a
    /// graceful stop once the server no longer accepts: a client connecting
    /// while the daemon finishes is refused at once (ECONNREFUSED) and tries
    /// again, where it would wait in the backlog and be reset at exit with
    /// whatever it had sent. The file and the lock stay until `close()`, so
    /// removing the file is still the daemon's last act (`vcctl daemon stop`
    /// waits for it) and no second daemon starts before this one is done.
    /// An activated socket is left open: its service manager keeps the
    /// connections that arrive meanwhile for the next start.
    package func stopListening() {
        guard origin == .bound else { return }
        closeDescriptor()
    }

    /// Closes the listening descriptor unless `stopListening` did.
    private func closeDescriptor() {
        let descriptor = state.withLock { state in
            defer { state.listening = false }
            return state.listening ? state.descriptor : nil
        }
        try? descriptor?.close()
    }

    /// Removes the socket file if it is still the one this daemon bound
    /// (for a forced exit, where `close` would take too long).
    package func removeFileIfOurs() {
        guard origin == .bound, inspectFile() == .intact else { return }
        _ = try? FileSystem.removeFile(path)
    }

    /// Looks at what is at the path now (one `lstat`).
    package func inspectFile() -> FileCondition {
        guard let served = state.withLock({ $0.file }) else { return .unknown }
        let current: FileStatus?
        do {
            current = try FileSystem.linkStatus(path)
        } catch {
            return .unreadable(error)
        }
        guard let current else { return .missing }
        if current.isSameFile(as: served) { return .intact }
        return .replaced(current.kind)
    }

    /// Binds a new listening socket at the path of a socket this daemon
    /// bound, whose file was removed or replaced, without letting the lock go:
    /// re-creates a missing folder (0700), takes the lock again only if its
    /// file was removed too, removes a stale socket, and binds with mode 0600.
    /// Another file at the path, or a socket someone answers on, is left alone.
    ///
    /// - Throws: `DaemonError` saying what is in the way and what to do.
    package func bindAgain(log: Logger) throws(DaemonError) -> Replacement {
        guard origin == .bound else {
            throw DaemonError(.activation, "\(path) belongs to the service manager that passed it; visioncraftd does not bind it")
        }
        try Self.preparePrivateFolder(folder)
        try lockAgainIfRemoved(log: log)
        do {
            if let status = try FileSystem.linkStatus(path) {
                try clearStaleSocket(status, log: log)
            }
            let fd = try UnixSocket.listen(at: path)
            do {
                try FileSystem.setPermissions(path, 0o600)
                guard let file = try FileSystem.linkStatus(path) else {
                    throw DaemonError(.system, "the new socket file \(path) vanished at once")
                }
                return Replacement(descriptor: fd, file: file)
            } catch {
                try? fd.close()
                throw error
            }
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(.system, "cannot listen on \(path): \(error)")
        }
    }

    /// Serves `replacement` from now on: it becomes the socket's descriptor
    /// and file, and the old descriptor is closed. Call it once the server
    /// accepts on the new descriptor and no longer on the old one.
    package func adopt(_ replacement: Replacement) {
        let old = state.withLock { state in
            let old = state.descriptor
            state.descriptor = replacement.descriptor
            state.file = replacement.file
            return old
        }
        try? old.close()
    }

    /// Closes a replacement the server could not take, and removes its file.
    package func discard(_ replacement: Replacement) {
        if let current = try? FileSystem.linkStatus(path), current.isSameFile(as: replacement.file) {
            _ = try? FileSystem.removeFile(path)
        }
        try? replacement.descriptor.close()
    }

    // MARK: Private

    /// The lock is held: says by whom, and whether its socket file is
    /// missing for now (the holder re-creates it).
    private static func alreadyRunning(_ location: SocketLocation) -> DaemonError {
        let holder = (try? FileSystem.readFile(location.lockPath, limit: 64)).flatMap(DaemonLockRecord.pid(in:))
        var message = "visioncraftd is already running on \(location.path) (" + (holder.map { "pid \($0)" } ?? "another daemon") + " holds \(location.lockPath))"
        if (try? FileSystem.linkStatus(location.path)) == nil {
            message += "; its socket file is missing for now, and that daemon listens there again within a second"
        }
        return DaemonError(.alreadyRunning, message)
    }

    /// What is at an activated socket's path at start, to notice later that
    /// it is gone.
    private static func fileAtStart(_ path: String) -> FileStatus? {
        guard path.hasPrefix("/"), let status = try? FileSystem.linkStatus(path), status.kind == .socket else { return nil }
        return status
    }

    /// Writes this process's id into the lock file, so that a client that
    /// finds the lock held but no socket can name this daemon.
    private static func recordProcessID(in lock: FileLock, log: Logger) {
        do {
            try lock.record(DaemonLockRecord.text(pid: getpid()))
        } catch {
            log.warning("cannot write the process id into \(lock.path) (\(error)); clients will not be able to name this daemon")
        }
    }

    /// The lock is what keeps a second daemon off the path; if its file was
    /// removed (with the folder, say), anyone could lock a new one. Locks
    /// the file now at the lock's path, unless another process got there
    /// first, and keeps that lock from then on (the old one is on a file
    /// nobody can reach any more).
    private func lockAgainIfRemoved(log: Logger) throws(DaemonError) {
        guard let lock = state.withLock({ $0.lock }), !lock.isStillAtPath else { return }
        let fresh: FileLock?
        do {
            fresh = try FileLock.tryAcquire(lockPath)
        } catch {
            throw DaemonError(.system, "cannot lock \(lockPath) again: \(error)")
        }
        guard let fresh else {
            let holder = (try? FileSystem.readFile(lockPath, limit: 64)).flatMap(DaemonLockRecord.pid(in:))
            throw DaemonError(
                .alreadyRunning,
                "\(lockPath) was removed too, and another daemon" + (holder.map { " (pid \($0))" } ?? "")
                    + " has locked a new one since: it owns \(path) now; stop one of the two (this one is pid \(getpid()))"
            )
        }
        Self.recordProcessID(in: fresh, log: log)
        state.withLock { $0.lock = fresh }
        lock.release()
        log.info("\(lockPath) was removed; locked it again")
    }

    /// With the lock held, at a path where the socket served is no more:
    /// a socket nobody answers on is removed; one that answers, or any
    /// other file, is somebody else's.
    private func clearStaleSocket(_ status: FileStatus, log: Logger) throws {
        guard status.kind == .socket else {
            throw DaemonError(
                .unsafeLocation,
                "\(path) is now \(status.kind), not a socket; visioncraftd does not delete what it did not create: move it away and the daemon listens there again"
            )
        }
        do {
            let probe = try UnixSocket.connect(to: path)
            try? probe.close()
            throw DaemonError(
                .alreadyRunning,
                "\(path) is now a socket that another process answers on; it is left alone: stop that process and remove the file, and this daemon listens there again"
            )
        } catch let error as SystemError where error.isConnectionRefused {
            log.info("removing stale socket \(path) (nobody listens on it)")
            try FileSystem.removeFile(path)
        } catch let error as SystemError where error.isNoSuchFile {
            return
        }
    }

    /// Creates the folder 0700 if missing, and refuses a folder that others
    /// could use to plant or read a socket: not a real directory, owned by
    /// someone else, or open to group or others.
    static func preparePrivateFolder(_ folder: String) throws(DaemonError) {
        do {
            if try FileSystem.linkStatus(folder) == nil {
                try FileSystem.makeDirectories(folder, permissions: 0o700)
                // Exactly 0700 whatever the umask (a umask of 0177 would
                // leave a folder nobody can enter).
                try FileSystem.setPermissions(folder, 0o700)
            }
            guard let status = try FileSystem.linkStatus(folder) else {
                throw DaemonError(.system, "the socket folder \(folder) vanished while it was being created")
            }
            let uid = getuid()
            switch status.kind {
            case .directory: break
            case .symbolicLink:
                throw DaemonError(.unsafeLocation, "refusing the socket folder \(folder): it is a symbolic link; use a real directory")
            default:
                throw DaemonError(.unsafeLocation, "refusing the socket folder \(folder): it is not a directory")
            }
            if status.owner != uid {
                throw DaemonError(
                    .unsafeLocation,
                    "refusing the socket folder \(folder): it belongs to uid \(status.owner), not to you (uid \(uid)); remove it or choose another path with --socket"
                )
            }
            if status.permissions & 0o077 != 0 {
                throw DaemonError(
                    .unsafeLocation,
                    "refusing the socket folder \(folder): its mode is \(status.octalPermissions), open to group or others; run 'chmod 700 \(folder)' or choose another path with --socket"
                )
            }
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(.system, "cannot prepare the socket folder \(folder): \(error)")
        }
    }

    /// With the lock held: a socket file nobody answers on is removed; one
    /// that answers means another daemon (one that took no lock); anything
    /// else is not ours to delete.
    private static func replaceStaleSocket(at path: String, log: Logger) throws {
        guard let status = try FileSystem.linkStatus(path) else { return }
        guard status.kind == .socket else {
            throw DaemonError(.unsafeLocation, "\(path) exists and is not a socket; move it away or choose another path with --socket")
        }
        do {
            let probe = try UnixSocket.connect(to: path)
            try? probe.close()
            throw DaemonError(.alreadyRunning, "visioncraftd is already running on \(path) (the socket answers)")
        } catch let error as SystemError where error.isConnectionRefused {
            log.info("removing stale socket \(path) (nobody listens on it)")
            try FileSystem.removeFile(path)
        } catch let error as SystemError where error.isNoSuchFile {
            return
        }
    }
}
