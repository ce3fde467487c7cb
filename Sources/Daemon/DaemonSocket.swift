import Posix
import VisionCraftProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// The daemon's listening socket and everything that comes with owning it:
/// a private folder, a lock that keeps a second daemon out, replacing a stale
/// socket file, and removing the file on exit. Or, under systemd socket
/// activation, the inherited descriptor as is.
public final class DaemonSocket: Sendable {
    /// How the socket came to be.
    public enum Origin: String, Sendable {
        /// Bound by this daemon at a path.
        case bound
        /// Inherited from systemd (LISTEN_FDS) or another service manager.
        case activated
    }

    /// The listening descriptor.
    public let descriptor: FileDescriptor
    /// The socket's path (for an activated socket, what getsockname tells).
    public let path: String
    public let origin: Origin
    private let lock: FileLock?
    private let boundFile: FileStatus?

    private init(descriptor: FileDescriptor, path: String, origin: Origin, lock: FileLock?, boundFile: FileStatus?) {
        self.descriptor = descriptor
        self.path = path
        self.origin = origin
        self.lock = lock
        self.boundFile = boundFile
    }

    /// The descriptor systemd passes first (SD_LISTEN_FDS_START).
    public static let activationDescriptor = FileDescriptor(rawValue: 3)

    /// Takes the socket systemd passed, if this process was socket-activated
    /// (`LISTEN_PID` is our pid and `LISTEN_FDS` >= 1). The variables are
    /// removed so children do not inherit them.
    ///
    /// - Returns: nil when not activated.
    public static func activated(environment: Environment, log: Logger) throws(DaemonError) -> DaemonSocket? {
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
        return DaemonSocket(descriptor: fd, path: path, origin: .activated, lock: nil, boundFile: nil)
    }

    /// The `Sockets` entry of a launchd agent plist that the daemon serves
    /// (see Integrations/launchd).
    public static let launchdSocketName = "Listeners"

    /// Takes the socket launchd created (macOS, `Sockets` → `Listeners` in
    /// the agent's plist), if launchd started this process.
    ///
    /// - Returns: nil when not activated by launchd (always off macOS).
    public static func launchdActivated(log: Logger) throws(DaemonError) -> DaemonSocket? {
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
        return DaemonSocket(descriptor: fd, path: path, origin: .activated, lock: nil, boundFile: nil)
    }

    /// Binds the socket at `location`: prepares its folder, takes the lock,
    /// replaces a stale socket file, binds with mode 0600 and listens.
    public static func bind(_ location: SocketLocation, log: Logger) throws(DaemonError) -> DaemonSocket {
        let path = location.path
        do {
            try UnixSocket.validate(path: path)
        } catch {
            throw DaemonError(.unsafeLocation, "\(error) (set with --socket or \(SocketLocation.environmentVariable))")
        }
        try preparePrivateFolder(location.folder)

        let lock: FileLock
        do {
            guard let acquired = try FileLock.tryAcquire(path + ".lock") else {
                throw DaemonError(.alreadyRunning, "visioncraftd is already running on \(path) (another daemon holds \(path).lock)")
            }
            lock = acquired
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(.system, "cannot lock \(path).lock: \(error)")
        }

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
    public func close() {
        if origin == .bound {
            if let boundFile, let current = try? FileSystem.linkStatus(path), current.isSameFile(as: boundFile) {
                _ = try? FileSystem.removeFile(path)
            }
            lock?.release()
        }
        try? descriptor.close()
    }

    /// Removes the socket file if it is still the one this daemon bound
    /// (for a forced exit, where `close` would take too long).
    public func removeFileIfOurs() {
        guard origin == .bound, let boundFile, let current = try? FileSystem.linkStatus(path),
            current.isSameFile(as: boundFile)
        else { return }
        _ = try? FileSystem.removeFile(path)
    }

    // MARK: Private

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
