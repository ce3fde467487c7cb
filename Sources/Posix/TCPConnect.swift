#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

extension TCPSocket {
    /// Connects to `host:port`, a name or a numeric IPv4 or IPv6 address
    /// (`getaddrinfo`), trying each address until one answers within
    /// `timeout`; the socket is close-on-exec, blocking, with TCP_NODELAY.
    ///
    /// - Throws: the last address's failure (ETIMEDOUT when none answered
    ///   in time), or EHOSTUNREACH naming the host when it does not resolve.
    public static func connect(resolving host: String, port: UInt16, timeout: Duration) throws(SystemError) -> FileDescriptor {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socketTypeStream
        var list: UnsafeMutablePointer<addrinfo>?
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let status = getaddrinfo(bare, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw SystemError(code: EHOSTUNREACH, function: "getaddrinfo", subject: "\(host) (\(reason))")
        }
        defer { freeaddrinfo(list) }
        var failure = SystemError(code: EHOSTUNREACH, function: "connect", subject: "\(host):\(port)")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry {
            entry = address.pointee.ai_next
            do throws(SystemError) {
                return try connect(address.pointee, subject: "\(host):\(port)", timeout: timeout)
            } catch {
                failure = error
            }
        }
        throw failure
    }

    private static func connect(_ address: addrinfo, subject: String, timeout: Duration) throws(SystemError) -> FileDescriptor {
        let raw = try retryingInterrupts("socket", subject) { socket(address.ai_family, socketTypeStream | socketFlagCloseOnExec, 0) }
        let fd = FileDescriptor(rawValue: raw)
        do throws(SystemError) {
            #if !(canImport(Glibc) || canImport(Musl))
            try fd.setCloseOnExec(true)
            var one: Int32 = 1
            setsockopt(fd.rawValue, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            // Non-blocking for the connect alone, so that it can time out.
            try fd.setNonBlocking(true)
            if system_connect(fd.rawValue, address.ai_addr, address.ai_addrlen) != 0 {
                guard errno == EINPROGRESS || errno == EINTR else { throw SystemError.last("connect", subject) }
                guard try Poll.wait(for: fd, events: .writable, timeout: timeout) else {
                    throw SystemError(code: ETIMEDOUT, function: "connect", subject: subject)
                }
                var code: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &code, &size)
                if code != 0 { throw SystemError(code: code, function: "connect", subject: subject) }
            }
            try fd.setNonBlocking(false)
            setNoDelay(fd)
            return fd
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Shuts both directions of a connected socket (`shutdown(2)`): a read
    /// blocked on it in another thread returns at once with end of file,
    /// while the descriptor stays open (and its number taken) until closed.
    public static func shutdown(_ fd: FileDescriptor) {
        _ = system_shutdown(fd.rawValue)
    }
}
