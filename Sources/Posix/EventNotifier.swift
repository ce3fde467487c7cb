import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Wakes a thread that waits in a `Poller`: an eventfd on Linux, a pipe
/// elsewhere. `notify()` may be called from any thread, any number of times;
/// the waiter sees the descriptor readable and calls `drain()`.
public final class EventNotifier: Sendable {
    /// The descriptor to watch for readability.
    public let readDescriptor: FileDescriptor
    private let writeDescriptor: FileDescriptor

    public init() throws(SystemError) {
        #if os(Linux)
        let fd = try retryingInterrupts("eventfd") { eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK)) }
        readDescriptor = FileDescriptor(rawValue: fd)
        writeDescriptor = readDescriptor
        #else
        let (read, write) = try FileDescriptor.pipe()
        try read.setNonBlocking(true)
        try write.setNonBlocking(true)
        readDescriptor = read
        writeDescriptor = write
        #endif
    }

    deinit {
        try? readDescriptor.close()
        if writeDescriptor != readDescriptor { try? writeDescriptor.close() }
    }

    /// Makes the read descriptor readable. Never blocks: if a wake-up is
    /// already pending, this one merges into it.
    public func notify() {
        #if os(Linux)
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { try? writeDescriptor.write($0) }
        #else
        var byte: UInt8 = 1
        _ = withUnsafeBytes(of: &byte) { try? writeDescriptor.write($0) }
        #endif
    }

    /// Consumes pending wake-ups so the descriptor stops being readable.
    public func drain() {
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while true {
            let result = withUnsafeMutableBytes(of: &scratch) { try? readDescriptor.read(into: $0) }
            guard case .bytes = result else { return }
            #if os(Linux)
            return
            #endif
        }
    }
}
