#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A task executor that runs a job on the thread that makes it runnable,
/// when that thread said it may (`runningHandedOff`), and on the global
/// pool otherwise.
///
/// Why: a request's task would hop loop thread -> pool -> store thread ->
/// pool before its reply went out, and on a virtual machine each wake-up
/// costs tens of microseconds. A task that prefers this executor starts on
/// the event loop that read its request and continues on the store thread
/// that committed its work, so the reply goes out from there, one hop in
/// all. Only the places that open a hand-off run anything inline, and only
/// the one job they make runnable: a thread that holds a lock, or runs
/// someone else's job, never runs another task's code by surprise.
public final class HandOffExecutor: TaskExecutor {
    /// The one instance (it has no state of its own).
    public static let shared = HandOffExecutor()

    private init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        if HandOffPoint.take() {
            job.runSynchronously(on: asUnownedTaskExecutor())
        } else {
            globalConcurrentExecutor.enqueue(job)
        }
    }

    /// Continues the calling task on the global pool: for work too long to
    /// do on the thread that was handed the task (a large reply built on
    /// the store's thread would hold every other store operation).
    public static func continueOnPool() async {
        // Re-enqueued on the task's preferred executor, this one, whose
        // hand-off was taken when the task was handed over: the pool.
        await Task.yield()
    }

    /// Runs `body`, during which the first job it makes runnable on this
    /// executor (a task started, a continuation resumed) runs here, on this
    /// thread, before `body` goes on.
    ///
    /// - Important: call it only where running that job is safe: no lock
    ///   held that the job could take, and nothing the job could wait for.
    public static func runningHandedOff<T>(_ body: () throws -> T) rethrows -> T {
        let outer = HandOffPoint.open()
        defer { HandOffPoint.restore(outer) }
        return try body()
    }
}

/// The per-thread switch `HandOffExecutor` reads: set while a hand-off is
/// open and its job not yet taken.
private enum HandOffPoint {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    private static var openMark: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 1) }

    /// Opens the point; returns what was set before.
    static func open() -> Bool {
        let was = pthread_getspecific(key) != nil
        pthread_setspecific(key, openMark)
        return was
    }

    static func restore(_ open: Bool) {
        pthread_setspecific(key, open ? openMark : nil)
    }

    /// Whether a job may run here now; closes the point if so, so the job
    /// itself (and whatever it resumes) runs nothing else inline.
    static func take() -> Bool {
        guard pthread_getspecific(key) != nil else { return false }
        pthread_setspecific(key, nil)
        return true
    }
}
