import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A socket path that does not fit in `sockaddr_un.sun_path`.
public struct SocketPathTooLongError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// The longest path the platform takes, in bytes (107 on Linux, 103 on macOS).
    public let limit: Int

    public var description: String {
        "socket path is \(path.utf8.count) bytes long, over the system limit of \(limit) bytes (sun_path): \(path); choose a shorter path"
    }
}

/// Unix-domain stream sockets: listen, accept, connect.
///
/// Every descriptor these functions return is close-on-exec, and on macOS
/// has SO_NOSIGPIPE set (Linux uses MSG_NOSIGNAL on each send instead).
public enum UnixSocket {
    /// The longest socket path this platform takes, in bytes.
    public static let maximumPathLength = Int(cposix_sun_path_capacity()) - 1

    /// Creates a listening socket bound to `path` (`socket`, `bind`, `listen`).
    ///
    /// The caller decides what to do about an existing file at `path` first,
    /// and sets the umask if the socket's mode matters.
    public static func listen(at path: String, backlog: Int32 = 512) throws -> FileDescriptor {
        let fd = try makeSocket()
        do {
            try withAddress(path) { (address, length) throws(SystemError) in
                _ = try retryingInterrupts("bind", path) { bind(fd.rawValue, address, length) }
            }
            _ = try retryingInterrupts("listen", path) { system_listen(fd.rawValue, backlog) }
            return fd
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Connects to the socket at `path` (blocking `connect`).
    ///
    /// Throws `SystemError` with ENOENT when there is no socket file and
    /// ECONNREFUSED when nobody listens on it (a stale file).
    public static func connect(to path: String) throws -> FileDescriptor {
        let fd = try makeSocket()
        do {
            try withAddress(path) { (address, length) throws(SystemError) in
                while system_connect(fd.rawValue, address, length) != 0 {
                    let code = errno
                    if code == EINTR {
                        // The connection goes on in the background; wait for it.
                        _ = try Poll.wait(for: fd, events: .writable, timeout: nil)
                        var error: Int32 = 0
                        var size = socklen_t(MemoryLayout<Int32>.size)
                        getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &error, &size)
                        if error == 0 { return }
                        throw SystemError(code: error, function: "connect", subject: path)
                    }
                    throw SystemError(code: code, function: "connect", subject: path)
                }
            }
            return fd
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Accepts one connection from a non-blocking listener.
    ///
    /// - Returns: the new connection (blocking, close-on-exec), or nil when no
    ///   connection is waiting.
    public static func accept(from listener: FileDescriptor) throws(SystemError) -> FileDescriptor? {
        while true {
            let fd = cposix_accept(listener.rawValue)
            if fd >= 0 { return FileDescriptor(rawValue: fd) }
            let code = errno
            switch code {
            case EINTR, ECONNABORTED:
                continue
            case EAGAIN, EWOULDBLOCK:
                return nil
            default:
                throw SystemError(code: code, function: "accept", subject: listener.description)
            }
        }
    }

    /// A connected pair of sockets (`socketpair(2)`), for tests and in-process pipes.
    public static func pair() throws(SystemError) -> (FileDescriptor, FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try retryingInterrupts("socketpair") {
            socketpair(AF_UNIX, socketTypeStream | socketFlagCloseOnExec, 0, &fds)
        }
        let pair = (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
        #if !(canImport(Glibc) || canImport(Musl))
        for fd in [pair.0, pair.1] {
            try? fd.setCloseOnExec(true)
            setNoSignalPipe(fd)
        }
        #endif
        return pair
    }

    /// The path a socket is bound to (`getsockname`), or nil for an unnamed socket.
    public static func localPath(of fd: FileDescriptor) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
        }
        guard result == 0, Int32(address.sun_family) == AF_UNIX else { return nil }
        let path = withUnsafeBytes(of: address.sun_path) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return path.isEmpty ? nil : path
    }

    /// The listening socket launchd created for the plist's `Sockets` entry
    /// `name` (macOS); nil when launchd did not start this process, the
    /// plist has no such entry, or off macOS.
    public static func launchdListener(named name: String) throws(SystemError) -> FileDescriptor? {
        let fd = cposix_launchd_socket(name)
        if fd >= 0 { return FileDescriptor(rawValue: fd) }
        let code = errno
        if code == ESRCH || code == ENOENT || code == ENOSYS { return nil }
        throw SystemError(code: code, function: "launch_activate_socket", subject: name)
    }

    /// True if `fd` is a listening stream socket (checked for inherited
    /// descriptors such as systemd's fd 3).
    public static func isListeningStreamSocket(_ fd: FileDescriptor) -> Bool {
        var type: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_TYPE, &type, &size) == 0, type == socketTypeStream else {
            return false
        }
        #if canImport(Glibc) || canImport(Musl)
        var listening: Int32 = 0
        size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 else { return false }
        return listening != 0
        #else
        return true
        #endif
    }

    /// Writes as much of `buffer` as the socket takes now, never raising SIGPIPE.
    ///
    /// - Returns: the count written; 0 when a non-blocking socket is full.
    public static func send(_ fd: FileDescriptor, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let count = system_send(fd.rawValue, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return 0 }
            throw SystemError(code: code, function: "send", subject: fd.description)
        }
    }

    /// Sends all of `buffer`, waiting while the socket is full.
    public static func sendAll(_ fd: FileDescriptor, _ buffer: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < buffer.count {
            let sent = try send(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            if sent == 0 { _ = try Poll.wait(for: fd, events: .writable, timeout: nil) }
            offset += sent
        }
    }

    /// Sends all of `bytes`, waiting while the socket is full.
    public static func sendAll(_ fd: FileDescriptor, _ bytes: [UInt8]) throws(SystemError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(SystemError) in try sendAll(fd, buffer) }
        }.get()
    }

    /// Checks that `path` fits in `sun_path`.
    public static func validate(path: String) throws(SocketPathTooLongError) {
        if path.utf8.count > maximumPathLength {
            throw SocketPathTooLongError(path: path, limit: maximumPathLength)
        }
    }

    // MARK: Private

    private static func makeSocket() throws(SystemError) -> FileDescriptor {
        let raw = try retryingInterrupts("socket") { socket(AF_UNIX, socketTypeStream | socketFlagCloseOnExec, 0) }
        let fd = FileDescriptor(rawValue: raw)
        #if !(canImport(Glibc) || canImport(Musl))
        try? fd.setCloseOnExec(true)
        setNoSignalPipe(fd)
        #endif
        return fd
    }

    private static func withAddress(
        _ path: String,
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemError) -> Void
    ) throws {
        try validate(path: path)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        #if canImport(Darwin)
        address.sun_len = UInt8(MemoryLayout<sockaddr_un>.size)
        #endif
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: path.utf8)
            bytes[path.utf8.count] = 0
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        try withUnsafePointer(to: &address) { (pointer) throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SystemError) in
                try body(raw, length)
            }
        }
    }

    #if canImport(Darwin)
    private static func setNoSignalPipe(_ fd: FileDescriptor) {
        var one: Int32 = 1
        _ = setsockopt(fd.rawValue, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
    }
    #endif
}
