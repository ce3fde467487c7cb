#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// IPv4 TCP sockets on numeric addresses (loopback servers and their clients).
public enum TCPSocket {
    /// Binds and listens on `host:port` (port 0 picks a free one), with
    /// SO_REUSEADDR.
    ///
    /// - Returns: the listening socket and the port it is bound to.
    public static func listen(host: String = "127.0.0.1", port: UInt16, backlog: Int32 = 512) throws(SystemError) -> (FileDescriptor, UInt16) {
        let fd = try makeSocket()
        do {
            var one: Int32 = 1
            setsockopt(fd.rawValue, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = try makeAddress(host: host, port: port)
            _ = try withUnsafePointer(to: &address) { (pointer) throws(SystemError) -> Int32 in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SystemError) -> Int32 in
                    try retryingInterrupts("bind", "\(host):\(port)") {
                        bind(fd.rawValue, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            _ = try retryingInterrupts("listen", "\(host):\(port)") { system_listen(fd.rawValue, backlog) }
            return (fd, try localPort(of: fd))
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Connects to `host:port` (blocking), with TCP_NODELAY.
    public static func connect(host: String = "127.0.0.1", port: UInt16) throws(SystemError) -> FileDescriptor {
        let fd = try makeSocket()
        do {
            var address = try makeAddress(host: host, port: port)
            _ = try withUnsafePointer(to: &address) { (pointer) throws(SystemError) -> Int32 in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SystemError) -> Int32 in
                    try retryingInterrupts("connect", "\(host):\(port)") {
                        system_connect(fd.rawValue, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            var one: Int32 = 1
            setsockopt(fd.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return fd
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Turns off Nagle's algorithm (`TCP_NODELAY`): small replies go out at once.
    public static func setNoDelay(_ fd: FileDescriptor) {
        var one: Int32 = 1
        setsockopt(fd.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Makes the next `close` reset the connection (an RST, no orderly
    /// shutdown): `SO_LINGER` with a zero timeout.
    public static func setResetOnClose(_ fd: FileDescriptor) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd.rawValue, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// The local port a socket is bound to.
    public static func localPort(of fd: FileDescriptor) throws(SystemError) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &length) }
        }
        if result != 0 { throw SystemError.last("getsockname", fd.description) }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A port that was free a moment ago on `host` (for starting other
    /// programs that take a port number; another process could take it first).
    public static func freePort(host: String = "127.0.0.1") throws(SystemError) -> UInt16 {
        let (fd, port) = try listen(host: host, port: 0)
        try? fd.close()
        return port
    }

    private static func makeSocket() throws(SystemError) -> FileDescriptor {
        let raw = try retryingInterrupts("socket") { socket(AF_INET, socketTypeStream | socketFlagCloseOnExec, 0) }
        return FileDescriptor(rawValue: raw)
    }

    private static func makeAddress(host: String, port: UInt16) throws(SystemError) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw SystemError(code: EINVAL, function: "inet_pton", subject: host)
        }
        return address
    }
}
