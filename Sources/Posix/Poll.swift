#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Waits on one descriptor with `poll(2)`: for blocking clients that need a
/// timeout (the event loops use `Poller`).
public enum Poll {
    /// What to wait for.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: Int16(POLLIN))
        public static let writable = Events(rawValue: Int16(POLLOUT))
    }

    /// Waits until `fd` is ready for `events`, it hangs up, or `timeout` passes.
    ///
    /// EINTR restarts the wait with the time that is left.
    /// - Returns: true when the descriptor is ready (or hung up: a read will
    ///   then tell end of file), false on timeout.
    public static func wait(
        for fd: FileDescriptor,
        events: Events,
        timeout: Duration?
    ) throws(SystemError) -> Bool {
        let deadline = timeout.map { MonotonicInstant.now().advanced(by: $0) }
        while true {
            var entry = pollfd(fd: fd.rawValue, events: events.rawValue, revents: 0)
            var milliseconds: Int32 = -1
            if let deadline {
                let left = MonotonicInstant.now().duration(to: deadline)
                milliseconds = left <= .zero ? 0 : Int32(clamping: left.roundedUpMilliseconds)
            }
            let result = poll(&entry, 1, milliseconds)
            if result > 0 { return true }
            if result == 0 { return false }
            if errno == EINTR { continue }
            throw SystemError.last("poll", fd.description)
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded up (so a wait never ends early).
    public var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let fromAttoseconds = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return seconds * 1000 + fromAttoseconds
    }

    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
