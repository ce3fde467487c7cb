#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// An exclusive advisory lock on a file (`flock(2)`), held until `release()`
/// or until the process exits (the kernel drops it even after SIGKILL).
///
/// Used so that two daemons can never own the same socket path at once.
public final class FileLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: FileDescriptor
    private let released = Atomic<Bool>(false)
    private let recorded = Atomic<Bool>(false)

    private init(path: String, descriptor: FileDescriptor) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock without waiting.
    ///
    /// - Returns: the lock, or nil when another process holds it.
    public static func tryAcquire(_ path: String) throws(SystemError) -> FileLock? {
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o600)
        while flock(fd.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            try? fd.close()
            if code == EWOULDBLOCK || code == EAGAIN { return nil }
            throw SystemError(code: code, function: "flock", subject: path)
        }
        return FileLock(path: path, descriptor: fd)
    }

    /// Makes `text` the lock file's whole content, for others to read (the
    /// holder's process id, say). Only the holder writes the file; `release`
    /// empties it again.
    public func record(_ text: String) throws(SystemError) {
        _ = try retryingInterrupts("ftruncate", path) { ftruncate(descriptor.rawValue, 0) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = try bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemError) in
                    try retryingInterrupts("pwrite", path) {
                        pwrite(descriptor.rawValue, buffer.baseAddress! + offset, buffer.count - offset, off_t(offset))
                    }
                }
            }.get()
            offset += written
        }
        recorded.store(true, ordering: .releasing)
    }

    /// True while the file at `path` is still the one locked (same device
    /// and inode): false once it was removed or replaced, when anyone could
    /// lock the new file.
    public var isStillAtPath: Bool {
        guard let locked = try? descriptor.status(), let current = try? FileSystem.linkStatus(path) else { return false }
        return current.isSameFile(as: locked)
    }

    /// Releases the lock and closes its file (the file itself stays, emptied
    /// of what `record` wrote).
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if recorded.load(ordering: .acquiring) { _ = ftruncate(descriptor.rawValue, 0) }
        _ = flock(descriptor.rawValue, LOCK_UN)
        try? descriptor.close()
    }
}
