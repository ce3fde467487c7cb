import CPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A thread of our own (`pthread_create`), for work that blocks or loops
/// forever (event loops, signal waits) and so must stay off Swift's
/// cooperative pool. Each has an alternate signal stack
/// (`AlternateSignalStack`), so a stack overflow on it is recorded as a
/// crash.
public final class OSThread: @unchecked Sendable {
    // pthread_t is a pointer on Darwin, so not Sendable; it is written once,
    // before the handle is shared, and only read afterwards.
    private var handle: pthread_t?
    /// The name given at creation (Linux shows the first 15 bytes in `top -H`).
    public let name: String

    private init(name: String) {
        self.name = name
    }

    /// Starts a thread that runs `body`.
    ///
    /// - Parameters:
    ///   - name: shown by debuggers and `top -H`.
    ///   - stackSize: bytes of stack; nil uses the system default.
    ///   - body: what the thread runs; the thread ends when it returns.
    public static func spawn(
        name: String,
        stackSize: Int? = nil,
        _ body: @escaping @Sendable () -> Void
    ) throws(SystemError) -> OSThread {
        let thread = OSThread(name: name)
        let context = Unmanaged.passRetained(ThreadContext(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize {
            pthread_attr_setstacksize(&attributes, max(stackSize, Int(PTHREAD_STACK_MIN)))
        }
        #if canImport(Darwin)
        var created: pthread_t?
        #else
        var created = pthread_t()
        #endif
        let result = pthread_create(&created, &attributes, { raw in
            #if canImport(Darwin)
            let context = Unmanaged<ThreadContext>.fromOpaque(raw).takeRetainedValue()
            #else
            let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
            #endif
            cposix_set_thread_name(context.name)
            let signalStack = AlternateSignalStack.install()
            context.body()
            signalStack?.remove()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<ThreadContext>.fromOpaque(context).release()
            throw SystemError(code: result, function: "pthread_create", subject: name)
        }
        thread.handle = created
        return thread
    }

    /// Waits for the thread to end (`pthread_join`). Call once.
    public func join() {
        guard let handle else { return }
        pthread_join(handle, nil)
        self.handle = nil
    }

    /// Lets the thread's resources go when it ends, without a join.
    public func detach() {
        guard let handle else { return }
        pthread_detach(handle)
        self.handle = nil
    }

    /// The calling thread's id, for log lines.
    public static var currentID: UInt64 { cposix_thread_id() }
}

private final class ThreadContext {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
