#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A value behind a pthread mutex, used like the standard library's
/// `Mutex` (`withLock`). It exists because ThreadSanitizer does not see the
/// futex calls `Synchronization.Mutex` makes on Linux (Swift 6.0) and reports
/// every access made under one as a race, which would drown real races; a
/// pthread mutex is a lock it knows. The cost is one allocation per lock and
/// the same uncontended lock and unlock (a compare-and-swap each).
public final class Lock<Value>: @unchecked Sendable {
    // Heap-allocated so the pthread object never moves; `value` is only
    // touched with it held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ initial: sending Value) {
        value = initial
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, the lock held.
    public func withLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
