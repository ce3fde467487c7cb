#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A value guarded by a mutex, with a condition variable to wait until it
/// changes (`pthread_mutex` + `pthread_cond`).
///
/// For threads of our own that must block until something happens (the
/// daemon's main thread waiting for shutdown, a test waiting for a state).
/// Never wait on Swift's cooperative pool.
public final class ThreadCondition<State: Sendable>: @unchecked Sendable {
    // The pthread objects are heap-allocated so they never move; `state` is
    // only touched with `mutex` held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var state: State

    public init(_ initial: State) {
        state = initial
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        #if os(Linux)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #else
        pthread_cond_init(condition, nil)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Reads or changes the state under the lock, then wakes every waiter.
    @discardableResult
    public func update<Result>(_ body: (inout State) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        let result = body(&state)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        return result
    }

    /// Reads the state under the lock.
    public func read<Result>(_ body: (State) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(state)
    }

    /// Blocks until `predicate` holds or `timeout` passes.
    ///
    /// - Returns: true if the predicate held, false on timeout.
    @discardableResult
    public func wait(timeout: Duration? = nil, until predicate: (State) -> Bool) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard let timeout else {
            while !predicate(state) { pthread_cond_wait(condition, mutex) }
            return true
        }
        var deadline = Self.deadline(after: timeout)
        while !predicate(state) {
            if pthread_cond_timedwait_monotonic(condition, mutex, &deadline) == ETIMEDOUT {
                return predicate(state)
            }
        }
        return true
    }

    private static func deadline(after timeout: Duration) -> timespec {
        #if os(Linux)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        #else
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        #endif
        let (seconds, attoseconds) = timeout.components
        var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var wholeSeconds = Int(now.tv_sec) + Int(seconds)
        if nanoseconds >= 1_000_000_000 {
            wholeSeconds += 1
            nanoseconds -= 1_000_000_000
        }
        return timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
    }
}

/// `pthread_cond_timedwait` against the clock `ThreadCondition` set up:
/// CLOCK_MONOTONIC on Linux (immune to clock changes), the real-time clock
/// elsewhere.
@inline(__always)
private func pthread_cond_timedwait_monotonic(
    _ condition: UnsafeMutablePointer<pthread_cond_t>,
    _ mutex: UnsafeMutablePointer<pthread_mutex_t>,
    _ deadline: inout timespec
) -> Int32 {
    pthread_cond_timedwait(condition, mutex, &deadline)
}
