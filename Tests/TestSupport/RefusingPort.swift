import Posix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let system_close: @Sendable (Int32) -> Int32 = { close($0) }

/// A loopback TCP port that refuses every connection for as long as this
/// value is open: a socket bound to it that never listens. Unlike a port
/// that was free a moment ago, no other test's server can take it meanwhile.
/// Close it in a `defer` (which also keeps it alive to the end of the test).
public final class RefusingPort: Sendable {
    public let port: UInt16
    /// nil once closed: closing twice must not close a descriptor opened since.
    private let descriptor: Mutex<Int32?>

    public init() throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            _ = system_close(descriptor)
            throw TestFailure("bind: errno \(errno)")
        }
        self.descriptor = Mutex(descriptor)
        self.port = UInt16(bigEndian: address.sin_port)
    }

    /// Frees the port; a second call does nothing.
    public func close() {
        descriptor.withLock { open in
            if let descriptor = open { _ = system_close(descriptor) }
            open = nil
        }
    }
}
