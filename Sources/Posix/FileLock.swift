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

    /// Releases the lock and closes its file (the file itself stays).
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = flock(descriptor.rawValue, LOCK_UN)
        try? descriptor.close()
    }
}
