import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// An open file descriptor: a number, with the system calls that act on one.
///
/// A `FileDescriptor` does not own the descriptor: whoever opened it closes it
/// (once) with `close()`. Every call retries EINTR and throws `SystemError`.
public struct FileDescriptor: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)

    public var description: String { "fd \(rawValue)" }

    /// The outcome of a read on a descriptor that may be non-blocking.
    public enum ReadResult: Sendable, Equatable {
        /// This many bytes (at least one) were read.
        case bytes(Int)
        /// The peer closed its end: no more data will come.
        case endOfFile
        /// Non-blocking and nothing to read now.
        case wouldBlock
    }

    /// Opens a file (`open(2)`), close-on-exec.
    ///
    /// - Parameters:
    ///   - path: the file's path.
    ///   - flags: `O_RDONLY`, `O_WRONLY | O_CREAT | O_APPEND` and so on.
    ///   - mode: permissions for a created file.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(SystemError) -> FileDescriptor {
        let fd = try retryingInterrupts("open", path) {
            #if canImport(Glibc)
            Glibc.open(path, flags | O_CLOEXEC, mode)
            #elseif canImport(Musl)
            Musl.open(path, flags | O_CLOEXEC, mode)
            #else
            Darwin.open(path, flags | O_CLOEXEC, mode)
            #endif
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Creates a pipe (`pipe(2)`), both ends close-on-exec.
    public static func pipe() throws(SystemError) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try retryingInterrupts("pipe") { cposix_pipe(&fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// Closes the descriptor (`close(2)`). EINTR is not retried: on Linux the
    /// descriptor is gone either way, and retrying could close another one.
    public func close() throws(SystemError) {
        if system_close(rawValue) == -1, errno != EINTR {
            throw SystemError.last("close", description)
        }
    }

    /// Reads into `buffer` (`read(2)`).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> ReadResult {
        while true {
            let count = system_read(rawValue, buffer.baseAddress, buffer.count)
            if count > 0 { return .bytes(count) }
            if count == 0 { return buffer.isEmpty ? .bytes(0) : .endOfFile }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(code: code, function: "read", subject: description)
        }
    }

    /// Writes as much of `buffer` as the descriptor takes now (`write(2)`) and
    /// returns the count; 0 means a non-blocking descriptor would have blocked.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let count = system_write(rawValue, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return 0 }
            throw SystemError(code: code, function: "write", subject: description)
        }
    }

    /// Writes all of `buffer`, looping over partial writes (and waiting, if
    /// the descriptor is non-blocking and full).
    public func writeAll(_ buffer: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < buffer.count {
            let written = try write(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            if written == 0 {
                _ = try Poll.wait(for: self, events: .writable, timeout: nil)
            }
            offset += written
        }
    }

    /// Writes all of `bytes`, looping over partial writes.
    public func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(SystemError) in try writeAll(buffer) }
        }.get()
    }

    /// Writes all of `text` (UTF-8) to a blocking descriptor.
    public func writeAll(_ text: String) throws(SystemError) {
        try writeAll(Array(text.utf8))
    }

    /// Reads until end of file and returns everything (for small files and pipes).
    public func readAll(limit: Int = Int.max) throws(SystemError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let outcome = try chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemError) in try read(into: buffer) }
            }.get()
            switch outcome {
            case .bytes(let count): result.append(contentsOf: chunk[0..<count])
            case .endOfFile: return result
            case .wouldBlock: _ = try Poll.wait(for: self, events: .readable, timeout: nil)
            }
        }
        return result
    }

    /// Sets or clears O_NONBLOCK.
    public func setNonBlocking(_ nonBlocking: Bool) throws(SystemError) {
        let flags = try retryingInterrupts("fcntl(F_GETFL)", description) { fcntl(rawValue, F_GETFL) }
        let updated = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if updated != flags {
            _ = try retryingInterrupts("fcntl(F_SETFL)", description) { fcntl(rawValue, F_SETFL, updated) }
        }
    }

    /// Sets or clears FD_CLOEXEC.
    public func setCloseOnExec(_ closeOnExec: Bool) throws(SystemError) {
        let flags = try retryingInterrupts("fcntl(F_GETFD)", description) { fcntl(rawValue, F_GETFD) }
        let updated = closeOnExec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        if updated != flags {
            _ = try retryingInterrupts("fcntl(F_SETFD)", description) { fcntl(rawValue, F_SETFD, updated) }
        }
    }

    /// True if the descriptor is open (`fcntl(F_GETFD)` succeeds).
    public var isOpen: Bool { fcntl(rawValue, F_GETFD) != -1 }

    /// The status of the open file (`fstat(2)`).
    public func status() throws(SystemError) -> FileStatus {
        var buffer = stat()
        _ = try retryingInterrupts("fstat", description) { system_fstat(rawValue, &buffer) }
        return FileStatus(buffer)
    }

    /// Flushes the file's data and metadata to stable storage (`fsync(2)`).
    public func synchronize() throws(SystemError) {
        _ = try retryingInterrupts("fsync", description) { fsync(rawValue) }
    }
}
