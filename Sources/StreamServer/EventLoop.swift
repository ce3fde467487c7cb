import Posix
import Synchronization

/// Something registered with an event loop that reacts to readiness.
///
/// - Important: `handle(_:)` is called on the loop's thread only.
protocol EventHandler: AnyObject {
    func handle(_ event: Poller.Event)
}

/// One thread that waits on a `Poller` and runs the handlers of the
/// descriptors registered with it, plus tasks handed to it from other threads.
///
/// Everything registered with a loop is touched only on that loop's thread;
/// other threads reach it through `execute(_:)`.
package final class EventLoop: @unchecked Sendable {
    /// The loop's number within its server, for logs.
    package let index: Int
    /// Connections served by this loop (for placing new ones).
    let connectionCount = Atomic<Int>(0)
    let poller: Poller
    private let notifier: EventNotifier
    private let tasks = Lock<[@Sendable () -> Void]>([])
    private let stopping = Atomic<Bool>(false)
    private let threadID = Atomic<UInt64>(0)
    private var thread: OSThread?

    // Loop-thread state.
    private var handlers: [UInt64: any EventHandler] = [:]
    private var nextToken: UInt64 = 1
    /// Scratch space for reads, shared by every connection of this loop
    /// (reads are handled one at a time on the loop thread).
    let readBuffer: UnsafeMutableRawBufferPointer

    /// The token of the notifier's own registration.
    private static let notifierToken: UInt64 = 0

    init(index: Int, readBufferSize: Int) throws(SystemError) {
        self.index = index
        poller = try Poller()
        notifier = try EventNotifier()
        readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
        try poller.add(notifier.readDescriptor, token: Self.notifierToken, interest: .readable)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts the loop's thread.
    func start() throws(SystemError) {
        thread = try OSThread.spawn(name: "vc-loop-\(index)", stackSize: 1 << 20) { [self] in
            run()
        }
    }

    /// True when called on this loop's thread.
    package var inEventLoop: Bool {
        threadID.load(ordering: .relaxed) == OSThread.currentID
    }

    /// Runs `task` on the loop's thread, soon. Safe from any thread.
    package func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = tasks.withLock { queue in
            queue.append(task)
            return queue.count == 1
        }
        if wasEmpty { notifier.notify() }
    }

    /// Asks the loop to end after its current iteration, and waits for it.
    func stop() {
        stopping.store(true, ordering: .releasing)
        notifier.notify()
        if !inEventLoop { thread?.join() }
    }

    // MARK: Loop thread

    /// Registers `handler` for `fd` and returns its token.
    ///
    /// - Important: loop thread only.
    func register(_ fd: FileDescriptor, interest: Poller.Interest, handler: any EventHandler) throws(SystemError) -> UInt64 {
        let token = nextToken
        nextToken += 1
        try poller.add(fd, token: token, interest: interest)
        handlers[token] = handler
        return token
    }

    /// Forgets a registration; the caller closes the descriptor afterwards.
    ///
    /// - Important: loop thread only.
    func deregister(_ fd: FileDescriptor, token: UInt64) {
        try? poller.remove(fd)
        handlers[token] = nil
    }

    private func run() {
        threadID.store(OSThread.currentID, ordering: .relaxed)
        var events: [Poller.Event] = []
        events.reserveCapacity(poller.capacity)
        while !stopping.load(ordering: .acquiring) {
            do {
                try poller.wait(into: &events, timeout: nil)
            } catch {
                // epoll_wait only fails for programming errors (EBADF,
                // EINVAL); there is nothing to retry.
                fatalError("event loop \(index): \(error)")
            }
            for event in events {
                if event.token == Self.notifierToken {
                    notifier.drain()
                    runTasks()
                } else {
                    handlers[event.token]?.handle(event)
                }
            }
        }
        runTasks()
    }

    private func runTasks() {
        // Tasks may enqueue more tasks; those wait for the next round (the
        // notifier fires again for them).
        let batch = tasks.withLock { queue in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for task in batch { task() }
    }
}
