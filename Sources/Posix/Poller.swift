import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Readiness notification for many descriptors: epoll on Linux, kqueue on
/// macOS and the BSDs. Level-triggered: a descriptor is reported for as long
/// as it stays ready.
///
/// `add`, `modify` and `remove` may be called from any thread; `wait` from one
/// thread at a time (the event loop's): it reuses one buffer, which is why the
/// class is `@unchecked Sendable`.
public final class Poller: @unchecked Sendable {
    /// What a descriptor is watched for.
    public struct Interest: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let readable = Interest(rawValue: 1)
        public static let writable = Interest(rawValue: 2)
    }

    /// One readiness report.
    public struct Event: Sendable, Equatable {
        /// The token the descriptor was registered with.
        public var token: UInt64
        public var readable: Bool
        public var writable: Bool
        /// The peer hung up or the descriptor has an error; a read or write
        /// will tell which.
        public var hangup: Bool

        public init(token: UInt64, readable: Bool, writable: Bool, hangup: Bool) {
            self.token = token
            self.readable = readable
            self.writable = writable
            self.hangup = hangup
        }
    }

    private let descriptor: FileDescriptor
    /// The most events one `wait` returns.
    public let capacity: Int
    #if os(Linux)
    private let buffer: UnsafeMutablePointer<epoll_event>
    #else
    private let buffer: UnsafeMutablePointer<kevent>
    #endif

    /// Creates the epoll or kqueue instance.
    ///
    /// - Parameter capacity: the most events one `wait` returns.
    public init(capacity: Int = 256) throws(SystemError) {
        self.capacity = capacity
        #if os(Linux)
        let fd = try retryingInterrupts("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        #else
        let fd = try retryingInterrupts("kqueue") { kqueue() }
        try FileDescriptor(rawValue: fd).setCloseOnExec(true)
        #endif
        descriptor = FileDescriptor(rawValue: fd)
        #if os(Linux)
        buffer = .allocate(capacity: capacity)
        buffer.initialize(repeating: epoll_event(), count: capacity)
        #else
        buffer = .allocate(capacity: capacity)
        buffer.initialize(repeating: kevent(), count: capacity)
        #endif
    }

    deinit {
        try? descriptor.close()
        buffer.deallocate()
    }

    /// Starts watching `fd`; its events carry `token`.
    public func add(_ fd: FileDescriptor, token: UInt64, interest: Interest) throws(SystemError) {
        #if os(Linux)
        try control(EPOLL_CTL_ADD, fd, token: token, interest: interest)
        #else
        try change(fd, token: token, interest: interest)
        #endif
    }

    /// Changes what `fd` is watched for.
    public func modify(_ fd: FileDescriptor, token: UInt64, interest: Interest) throws(SystemError) {
        #if os(Linux)
        try control(EPOLL_CTL_MOD, fd, token: token, interest: interest)
        #else
        try change(fd, token: token, interest: interest)
        #endif
    }

    /// Stops watching `fd`. Call before closing it.
    public func remove(_ fd: FileDescriptor) throws(SystemError) {
        #if os(Linux)
        var event = epoll_event()
        _ = try retryingInterrupts("epoll_ctl(DEL)", fd.description) {
            epoll_ctl(descriptor.rawValue, EPOLL_CTL_DEL, fd.rawValue, &event)
        }
        #else
        var changes = [
            kevent(ident: UInt(fd.rawValue), filter: Int16(EVFILT_READ), flags: UInt16(EV_DELETE), fflags: 0, data: 0, udata: nil),
            kevent(ident: UInt(fd.rawValue), filter: Int16(EVFILT_WRITE), flags: UInt16(EV_DELETE), fflags: 0, data: 0, udata: nil),
        ]
        for index in changes.indices {
            // A filter that was never added answers ENOENT; that is fine.
            _ = kevent(descriptor.rawValue, &changes[index], 1, nil, 0, nil)
        }
        #endif
    }

    /// Waits for events and stores them in `events` (replacing its contents).
    ///
    /// - Important: call from one thread at a time.
    /// - Parameters:
    ///   - events: filled with up to `capacity` events.
    ///   - timeout: nil waits until something happens.
    public func wait(into events: inout [Event], timeout: Duration?) throws(SystemError) {
        events.removeAll(keepingCapacity: true)
        let raw = buffer
        #if os(Linux)
        let milliseconds = timeout.map { Int32(clamping: $0.roundedUpMilliseconds) } ?? -1
        let count = epoll_wait(descriptor.rawValue, raw, Int32(capacity), milliseconds)
        if count < 0 {
            if errno == EINTR { return }
            throw SystemError.last("epoll_wait")
        }
        for index in 0..<Int(count) {
            let flags = raw[index].events
            events.append(
                Event(
                    token: raw[index].data.u64,
                    readable: flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0,
                    writable: flags & EPOLLOUT.rawValue != 0,
                    hangup: flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
                )
            )
        }
        #else
        var spec = timespec()
        let count: Int32
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            spec.tv_sec = Int(seconds)
            spec.tv_nsec = Int(attoseconds / 1_000_000_000)
            count = kevent(descriptor.rawValue, nil, 0, raw, Int32(capacity), &spec)
        } else {
            count = kevent(descriptor.rawValue, nil, 0, raw, Int32(capacity), nil)
        }
        if count < 0 {
            if errno == EINTR { return }
            throw SystemError.last("kevent")
        }
        for index in 0..<Int(count) {
            let entry = raw[index]
            let token = UInt64(UInt(bitPattern: entry.udata))
            let isRead = entry.filter == Int16(EVFILT_READ)
            let hangup = entry.flags & UInt16(EV_EOF) != 0 || entry.flags & UInt16(EV_ERROR) != 0
            events.append(Event(token: token, readable: isRead, writable: !isRead, hangup: hangup && !isRead))
        }
        #endif
    }

    #if os(Linux)
    private func control(_ operation: Int32, _ fd: FileDescriptor, token: UInt64, interest: Interest) throws(SystemError) {
        var event = epoll_event()
        // EPOLLRDHUP only with read interest: a half-closed peer would
        // otherwise keep reporting it to a loop that stopped reading.
        var flags: UInt32 = 0
        if interest.contains(.readable) { flags |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if interest.contains(.writable) { flags |= EPOLLOUT.rawValue }
        event.events = flags
        event.data.u64 = token
        _ = try retryingInterrupts("epoll_ctl", fd.description) {
            epoll_ctl(descriptor.rawValue, operation, fd.rawValue, &event)
        }
    }
    #else
    private func change(_ fd: FileDescriptor, token: UInt64, interest: Interest) throws(SystemError) {
        let udata = UnsafeMutableRawPointer(bitPattern: UInt(token))
        func flags(_ on: Bool) -> UInt16 { UInt16(EV_ADD) | (on ? UInt16(EV_ENABLE) : UInt16(EV_DISABLE)) }
        var changes = [
            kevent(ident: UInt(fd.rawValue), filter: Int16(EVFILT_READ), flags: flags(interest.contains(.readable)), fflags: 0, data: 0, udata: udata),
            kevent(ident: UInt(fd.rawValue), filter: Int16(EVFILT_WRITE), flags: flags(interest.contains(.writable)), fflags: 0, data: 0, udata: udata),
        ]
        _ = try retryingInterrupts("kevent", fd.description) {
            kevent(descriptor.rawValue, &changes, 2, nil, 0, nil)
        }
    }
    #endif
}
