import Posix
import VisionCraftProtocol

/// The lock that keeps a second daemon off a state folder: an exclusive
/// `flock` on `<state>/visioncraftd.lock`, held for the daemon's whole life.
///
/// The socket's own lock (`visioncraftd.sock.lock`) keeps two daemons off one
/// socket path, but two daemons on two sockets (`--socket`, a shell without
/// `XDG_RUNTIME_DIR` beside a socket-activated daemon) would share one job
/// database: the second would requeue the first one's running jobs as left
/// by a crash and generate them again. The file records the holder's pid and
/// socket, so the refusal says which daemon to use instead.
final class StateFolderLock: Sendable {
    let folder: String
    let socketPath: String
    private let lock: Lock<FileLock>

    /// The lock file in `folder`.
    static func path(in folder: String) -> String { "\(folder)/visioncraftd.lock" }

    var path: String { Self.path(in: folder) }

    private init(folder: String, socketPath: String, lock: FileLock) {
        self.folder = folder
        self.socketPath = socketPath
        self.lock = Lock(lock)
    }

    /// Takes the lock of `folder` (which exists) for a daemon serving `socketPath`.
    ///
    /// - Throws: `DaemonError` `.stateFolderInUse` naming the daemon that
    ///   holds it, or `.system`.
    static func acquire(folder: String, socketPath: String, log: Logger) throws(DaemonError) -> StateFolderLock {
        let lock = try take(path(in: folder), folder: folder)
        record(lock, socketPath: socketPath, log: log)
        return StateFolderLock(folder: folder, socketPath: socketPath, lock: lock)
    }

    /// Takes the lock again if its file was removed (with the whole state
    /// folder, say: the job store writes the database again, and anyone
    /// could lock a new file). The main thread calls it about once a second.
    ///
    /// - Throws: `DaemonError` when another daemon locked the new file first.
    func lockAgainIfRemoved(log: Logger) throws(DaemonError) {
        let current = lock.withLock { $0 }
        guard !current.isStillAtPath else { return }
        do {
            try FileSystem.makeDirectories(folder, permissions: 0o700)
        } catch {
            throw DaemonError(.system, "cannot create the state folder \(folder) again: \(error)")
        }
        let fresh = try Self.take(path, folder: folder)
        Self.record(fresh, socketPath: socketPath, log: log)
        lock.withLock { $0 = fresh }
        current.release()
        log.info("\(path) was removed; locked it again")
    }

    /// Releases the lock (the file stays, emptied).
    func release() {
        lock.withLock { $0 }.release()
    }

    // MARK: Private

    private static func take(_ path: String, folder: String) throws(DaemonError) -> FileLock {
        let acquired: FileLock?
        do {
            acquired = try FileLock.tryAcquire(path)
        } catch {
            throw DaemonError(.system, "cannot lock the state folder (\(path)): \(error)")
        }
        guard let acquired else { throw inUse(path, folder: folder) }
        return acquired
    }

    private static func record(_ lock: FileLock, socketPath: String, log: Logger) {
        do {
            try lock.record(DaemonLockRecord.text(pid: getpid(), socket: socketPath))
        } catch {
            log.warning("cannot write the process id into \(lock.path) (\(error)); a second daemon will not be able to name this one")
        }
    }

    /// Another daemon holds the lock: says which, and what to do.
    private static func inUse(_ path: String, folder: String) -> DaemonError {
        let bytes = (try? FileSystem.readFile(path, limit: 8192)) ?? []
        let holder = DaemonLockRecord.pid(in: bytes).map { "pid \($0)" } ?? "another visioncraftd"
        let socket = DaemonLockRecord.socket(in: bytes)
        return DaemonError(
            .stateFolderInUse,
            "the state folder \(folder) is in use by \(holder)" + (socket.map { ", serving \($0)" } ?? "")
                + ": two daemons on one job database would run its jobs twice. Use that daemon"
                + (socket.map { " (vcctl --socket \($0))" } ?? "") + ", stop it first, or give this one its own --state-dir"
        )
    }
}
