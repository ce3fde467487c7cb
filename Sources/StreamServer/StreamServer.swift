import Posix
import Synchronization

/// A non-blocking server for stream sockets: a few event-loop threads (one
/// per core by default) serve every connection; a listener on the first loop
/// accepts and hands connections out in turn.
///
/// No connection can stall another: reads and writes never block, a slow
/// reader only fills its own queue (and is throttled), and work that takes
/// time belongs off the loops (the delegate hands it to tasks or threads).
package final class StreamServer: Sendable {
    /// How the server behaves.
    package struct Configuration: Sendable {
        /// Event-loop threads; default: the number of online CPUs, 1 to 4.
        package var loopCount: Int
        /// Connections beyond this are closed at once (and logged).
        package var maximumConnections: Int
        /// Bytes read at once.
        package var readBufferSize: Int
        /// A connection stops being read while this many output bytes are queued.
        package var outputHighWater: Int

        package init(
            loopCount: Int = StreamServer.defaultLoopCount,
            maximumConnections: Int = 4096,
            readBufferSize: Int = 64 * 1024,
            outputHighWater: Int = 1 << 20
        ) {
            self.loopCount = max(1, loopCount)
            self.maximumConnections = maximumConnections
            self.readBufferSize = readBufferSize
            self.outputHighWater = outputHighWater
        }
    }

    /// What to do with a new connection: serve it with a delegate, or refuse
    /// it (nil: the connection is closed at once).
    package typealias Acceptor = @Sendable (Connection) -> (any ConnectionDelegate)?

    /// Called with one-line messages about trouble the server handled itself
    /// (descriptor exhaustion, too many connections).
    package typealias Logger = @Sendable (String) -> Void

    /// One event-loop thread per core, between 1 and 4.
    package static var defaultLoopCount: Int {
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return min(4, max(1, online))
    }

    package let configuration: Configuration
    private let loops: [EventLoop]
    private let listener: Listener
    private let connections = Lock<[UInt64: Connection]>([:])
    private let openCount = ThreadCondition<Int>(0)
    private let nextConnectionID = Atomic<UInt64>(1)
    /// True between `start()` and `stop()`: the listener is then touched on
    /// the first loop's thread only.
    private let loopsRunning = Atomic<Bool>(false)
    private let acceptor: Acceptor
    private let log: Logger

    /// Creates a server for a listening socket (bound and listening already;
    /// the caller keeps ownership of it and closes it after `stop()`).
    package init(
        listening socket: FileDescriptor,
        configuration: Configuration = Configuration(),
        log: @escaping Logger = { _ in },
        acceptor: @escaping Acceptor
    ) throws(SystemError) {
        self.configuration = configuration
        self.acceptor = acceptor
        self.log = log
        var loops: [EventLoop] = []
        for index in 0..<configuration.loopCount {
            loops.append(try EventLoop(index: index, readBufferSize: configuration.readBufferSize))
        }
        self.loops = loops
        try socket.setNonBlocking(true)
        listener = try Listener(socket: socket)
    }

    /// Starts the loops and begins accepting.
    package func start() throws(SystemError) {
        for loop in loops { try loop.start() }
        loopsRunning.store(true, ordering: .releasing)
        let listener = self.listener
        let first = loops[0]
        let registered = ThreadCondition<Result<Void, SystemError>?>(nil)
        first.execute { [self] in
            let outcome = Result { () throws(SystemError) in
                try listener.start(on: first) { [self] fd in accepted(fd) }
            }
            registered.update { $0 = outcome }
        }
        registered.wait { $0 != nil }
        try registered.read { $0! }.get()
    }

    /// Connections open now.
    package var connectionCount: Int {
        openCount.read { $0 }
    }

    /// The open connections, for shutdown and status.
    package var openConnections: [Connection] {
        connections.withLock { Array($0.values) }
    }

    /// Accepts on `socket` from now on, instead of the listening socket in
    /// use: for a daemon whose socket file was removed and that bound a new
    /// socket at the same path.
    ///
    /// On the accepting loop, the connections already waiting on the old
    /// socket are accepted, the new socket is put on the loop and the old one
    /// taken off, in that order, so no connection is lost and the loop never
    /// stops accepting. Connections open now stay open. The caller owns both
    /// sockets: it closes the old one once this returns (and the new one
    /// after `stop()`). If the server is not accepting (before `start()`,
    /// after `stopAccepting()`), the new socket is only remembered.
    ///
    /// - Parameter socket: bound and listening already.
    /// - Throws: `SystemError` if the new socket cannot be made non-blocking
    ///   or put on the loop; the old one is still served then.
    /// - Important: blocks until the loop made the swap; do not call it on
    ///   an event loop, nor at the same time as `start()` or `stop()`.
    package func replaceListener(with socket: FileDescriptor) throws(SystemError) {
        try socket.setNonBlocking(true)
        let listener = self.listener
        guard loopsRunning.load(ordering: .acquiring) else {
            // No loop thread touches the listener before start().
            listener.socket = socket
            return
        }
        let swapped = ThreadCondition<Result<Void, SystemError>?>(nil)
        loops[0].execute {
            let outcome = Result { () throws(SystemError) in try listener.replaceSocket(with: socket) }
            swapped.update { $0 = outcome }
        }
        swapped.wait { $0 != nil }
        try swapped.read { $0! }.get()
    }

    /// Stops accepting new connections (the listening socket stays open;
    /// its owner closes it). Waits until the listener is off its loop.
    package func stopAccepting() {
        let done = ThreadCondition(false)
        let listener = self.listener
        loops[0].execute {
            listener.stop()
            done.update { $0 = true }
        }
        done.wait { $0 }
    }

    /// Waits until no connection is open, or `timeout` passes.
    ///
    /// - Returns: true if every connection closed in time.
    /// - Important: blocks; call from a thread of your own.
    @discardableResult
    package func waitUntilIdle(timeout: Duration?) -> Bool {
        openCount.wait(timeout: timeout) { $0 == 0 }
    }

    /// Closes every connection at once, stops the loops and waits for their
    /// threads to end.
    package func stop() {
        stopAccepting()
        for connection in openConnections { connection.close() }
        waitUntilIdle(timeout: .seconds(5))
        for loop in loops { loop.stop() }
        loopsRunning.store(false, ordering: .releasing)
    }

    // MARK: Private

    /// The loop with the fewest connections; on a tie the accepting loop
    /// (the first), which then serves the connection without a thread hop:
    /// one-shot clients such as `vcctl status` get their answer sooner,
    /// and many connections still spread evenly.
    private func leastLoadedLoop() -> EventLoop {
        var best = loops[0]
        var fewest = best.connectionCount.load(ordering: .relaxed)
        for loop in loops.dropFirst() {
            let count = loop.connectionCount.load(ordering: .relaxed)
            if count < fewest {
                best = loop
                fewest = count
            }
        }
        return best
    }

    private func accepted(_ fd: FileDescriptor) {
        if connectionCount >= configuration.maximumConnections {
            log("refused a connection: \(configuration.maximumConnections) connections are open (the maximum)")
            try? fd.close()
            return
        }
        let peer = try? PeerCredentials.of(fd)
        let loop = leastLoadedLoop()
        let connection = Connection(
            id: nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue,
            descriptor: fd,
            peer: peer,
            loop: loop,
            limits: .init(highWater: configuration.outputHighWater),
            onClose: { [self] closed in
                connections.withLock { _ = $0.removeValue(forKey: closed.id) }
                closed.loop.connectionCount.wrappingSubtract(1, ordering: .relaxed)
                openCount.update { $0 -= 1 }
            }
        )
        guard let delegate = acceptor(connection) else {
            try? fd.close()
            return
        }
        connection.delegate = delegate
        loop.connectionCount.wrappingAdd(1, ordering: .relaxed)
        connections.withLock { $0[connection.id] = connection }
        openCount.update { $0 += 1 }
        let register: @Sendable () -> Void = { [self] in
            do {
                try fd.setNonBlocking(true)
                try connection.start()
            } catch {
                log("could not serve connection \(connection.id): \(error)")
                loop.connectionCount.wrappingSubtract(1, ordering: .relaxed)
                connections.withLock { _ = $0.removeValue(forKey: connection.id) }
                openCount.update { $0 -= 1 }
                try? fd.close()
            }
        }
        if loop.inEventLoop { register() } else { loop.execute(register) }
    }
}

/// The listening socket's handler on the first loop: accepts until the
/// backlog is empty. When the process runs out of descriptors it gives up a
/// spare one to accept and close the waiting connection, so the level-
/// triggered loop never spins on a backlog it cannot drain.
private final class Listener: EventHandler, @unchecked Sendable {
    // Loop-thread state (before the loops start, the starting thread's).
    var socket: FileDescriptor
    private var token: UInt64 = 0
    private var loop: EventLoop?
    private var onAccept: ((FileDescriptor) -> Void)?
    private var spare: FileDescriptor?

    init(socket: FileDescriptor) throws(SystemError) {
        self.socket = socket
        spare = try? FileDescriptor.open("/dev/null", O_RDONLY)
    }

    func start(on loop: EventLoop, onAccept: @escaping (FileDescriptor) -> Void) throws(SystemError) {
        self.loop = loop
        self.onAccept = onAccept
        token = try loop.register(socket, interest: .readable, handler: self)
    }

    /// Accepts what waits on the old socket, then serves `newSocket`
    /// instead (see `StreamServer.replaceListener(with:)`).
    func replaceSocket(with newSocket: FileDescriptor) throws(SystemError) {
        guard let loop, token != 0 else {
            socket = newSocket
            return
        }
        acceptWaiting()
        let newToken = try loop.register(newSocket, interest: .readable, handler: self)
        loop.deregister(socket, token: token)
        socket = newSocket
        token = newToken
    }

    func stop() {
        guard let loop, token != 0 else { return }
        loop.deregister(socket, token: token)
        token = 0
        onAccept = nil
        try? spare?.close()
        spare = nil
    }

    func handle(_ event: Poller.Event) {
        acceptWaiting()
    }

    /// Accepts until the backlog is empty.
    private func acceptWaiting() {
        while let onAccept {
            do {
                guard let fd = try UnixSocket.accept(from: socket) else { return }
                onAccept(fd)
            } catch let error where error.code == EMFILE || error.code == ENFILE {
                shedOneConnection()
                return
            } catch {
                return
            }
        }
    }

    private func shedOneConnection() {
        guard let reserve = spare else { return }
        try? reserve.close()
        if let fd = try? UnixSocket.accept(from: socket) { try? fd.close() }
        spare = try? FileDescriptor.open("/dev/null", O_RDONLY)
    }
}
