import Posix

/// One accepted stream connection served by an event loop.
///
/// Reads happen on the loop's thread and go to the delegate. `send` may be
/// called from any thread: it writes at once when the socket takes it (no
/// thread hop), and otherwise queues the rest and lets the loop finish the
/// job when the socket drains. The descriptor is closed only on the loop's
/// thread, and every write checks, under the same lock, that it is still open,
/// so a reply can never go to a descriptor number that was reused.
package final class Connection: @unchecked Sendable {
    /// A number unique within the process, for logs.
    package let id: UInt64
    /// The socket.
    package let descriptor: FileDescriptor
    /// Who connected, as the kernel tells it.
    package let peer: PeerCredentials?
    /// The loop this connection belongs to.
    package let loop: EventLoop

    /// The delegate; set once, before the connection is registered.
    package internal(set) var delegate: (any ConnectionDelegate)?

    private let limits: Limits
    private let output = Lock<OutputState>(OutputState())
    private let onClose: @Sendable (Connection) -> Void

    /// Output buffering threshold.
    struct Limits: Sendable {
        /// Stop reading while more than this many bytes wait to be written (a
        /// peer that sends requests but does not read replies gets throttled);
        /// read again once the queue is back under it.
        var highWater: Int
    }

    private struct OutputState {
        /// The loop registration's token (0 until registered).
        var token: UInt64 = 0
        var pending: [UInt8] = []
        var pendingStart = 0
        var registered: Poller.Interest = .readable
        /// The delegate wants input.
        var readingWanted = true
        /// Input ended (EOF) or the connection is closing.
        var inputClosed = false
        var closeAfterFlush = false
        var closed = false
        /// A write failed; the loop closes the connection.
        var broken = false

        var pendingCount: Int { pending.count - pendingStart }

        func desiredInterest(_ limits: Limits) -> Poller.Interest {
            var interest: Poller.Interest = []
            if readingWanted, !inputClosed, pendingCount <= limits.highWater { interest.insert(.readable) }
            if pendingCount > 0 || broken { interest.insert(.writable) }
            return interest
        }
    }

    init(
        id: UInt64,
        descriptor: FileDescriptor,
        peer: PeerCredentials?,
        loop: EventLoop,
        limits: Limits,
        onClose: @escaping @Sendable (Connection) -> Void
    ) {
        self.id = id
        self.descriptor = descriptor
        self.peer = peer
        self.loop = loop
        self.limits = limits
        self.onClose = onClose
    }

    // MARK: Any thread

    /// Sends `bytes`, now if the socket takes them, else as soon as it drains.
    ///
    /// - Returns: false if the connection is already closed (the bytes are dropped).
    @discardableResult
    package func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        output.withLock { state in send(bytes, keeping: nil, &state) }
    }

    /// Sends `bytes`; see `send(_:)`. What the socket does not take at once
    /// stays in `bytes` itself when nothing else is queued: a large reply is
    /// not copied.
    @discardableResult
    package func send(_ bytes: [UInt8]) -> Bool {
        output.withLock { state in bytes.withUnsafeBytes { send($0, keeping: bytes, &state) } }
    }

    /// Writes what the socket takes and queues the rest: in `array` (the
    /// same bytes) if given and the queue is empty, else appended to it.
    ///
    /// - Important: call with the output lock held.
    private func send(_ bytes: UnsafeRawBufferPointer, keeping array: [UInt8]?, _ state: inout OutputState) -> Bool {
        guard !state.closed, !state.broken else { return false }
        var offset = 0
        if state.pendingCount == 0 {
            do {
                offset = try UnixSocket.send(descriptor, bytes)
            } catch {
                state.broken = true
                updateInterest(&state)
                return false
            }
            if offset == bytes.count { return true }
            if let array {
                state.pending = array
                state.pendingStart = offset
                updateInterest(&state)
                return true
            }
        }
        if state.pendingStart > 0, state.pendingStart >= state.pending.count / 2 {
            state.pending.removeFirst(state.pendingStart)
            state.pendingStart = 0
        }
        state.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        updateInterest(&state)
        return true
    }

    /// Bytes queued but not yet written.
    package var pendingOutputCount: Int {
        output.withLock { $0.pendingCount }
    }

    /// Reading stops while more output than this is queued; the delegate
    /// hears `connectionDidDrainOutput` when the queue is back under it.
    package var outputHighWater: Int { limits.highWater }

    /// Stops or resumes reading (for backpressure: too many requests in flight).
    package func setReading(_ wanted: Bool) {
        output.withLock { state in
            guard !state.closed, state.readingWanted != wanted else { return }
            state.readingWanted = wanted
            updateInterest(&state)
        }
    }

    /// Closes the connection: at once, or once the queued output is written.
    ///
    /// With `afterFlush`, reading stops now and the close happens when the
    /// queue is empty (or the peer goes away).
    package func close(afterFlush: Bool = false) {
        let closeNow: Bool = output.withLock { state in
            guard !state.closed else { return false }
            state.inputClosed = true
            if afterFlush, state.pendingCount > 0, !state.broken {
                state.closeAfterFlush = true
                updateInterest(&state)
                return false
            }
            return true
        }
        guard closeNow else { return }
        if loop.inEventLoop {
            closeOnLoop()
        } else {
            loop.execute { [self] in closeOnLoop() }
        }
    }

    /// Closes the connection abruptly: pending output is dropped and a TCP
    /// peer sees a reset (an emulator's "connection reset" fault).
    package func reset() {
        let alreadyClosed = output.withLock { state in
            state.pending = []
            state.pendingStart = 0
            return state.closed
        }
        guard !alreadyClosed else { return }
        TCPSocket.setResetOnClose(descriptor)
        close()
    }

    /// True once the connection is closed.
    package var isClosed: Bool {
        output.withLock { $0.closed }
    }

    // MARK: Loop thread

    /// Registers with the loop and starts reading.
    func start() throws(SystemError) {
        let interest = output.withLock { $0.desiredInterest(limits) }
        let token = try loop.register(descriptor, interest: interest, handler: self)
        output.withLock { state in
            state.token = token
            state.registered = interest
            updateInterest(&state)
        }
    }

    private func closeOnLoop() {
        let (alreadyClosed, token) = output.withLock { state in
            defer { state.closed = true }
            return (state.closed, state.token)
        }
        guard !alreadyClosed else { return }
        loop.deregister(descriptor, token: token)
        try? descriptor.close()
        output.withLock { state in
            state.pending = []
            state.pendingStart = 0
        }
        delegate?.connectionDidClose(self)
        delegate = nil
        onClose(self)
    }

    private func readAvailable() {
        let buffer = loop.readBuffer
        let result: FileDescriptor.ReadResult
        do {
            result = try descriptor.read(into: buffer)
        } catch {
            closeOnLoop()
            return
        }
        switch result {
        case .bytes(let count):
            delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        case .endOfFile:
            output.withLock { state in
                state.inputClosed = true
                updateInterest(&state)
            }
            delegate?.connectionDidReachEndOfInput(self)
        case .wouldBlock:
            break
        }
    }

    /// Writes queued output; closes when asked to after the flush, or when
    /// the peer is gone; tells the delegate when the queue fell under the
    /// high-water mark.
    private func flush() {
        let (shouldClose, drained): (Bool, Bool) = output.withLock { state in
            if state.closed { return (false, false) }
            let wasOver = state.pendingCount > limits.highWater
            while state.pendingCount > 0, !state.broken {
                let sent: Int
                do {
                    sent = try state.pending.withUnsafeBytes { all in
                        try UnixSocket.send(descriptor, UnsafeRawBufferPointer(rebasing: all[state.pendingStart...]))
                    }
                } catch {
                    state.broken = true
                    break
                }
                if sent == 0 { break }
                state.pendingStart += sent
            }
            if state.pendingCount == 0 {
                state.pending.removeAll(keepingCapacity: state.pending.capacity <= 65536)
                state.pendingStart = 0
            }
            if state.broken || (state.closeAfterFlush && state.pendingCount == 0) { return (true, false) }
            updateInterest(&state)
            return (false, wasOver && state.pendingCount <= limits.highWater)
        }
        if shouldClose {
            closeOnLoop()
        } else if drained {
            delegate?.connectionDidDrainOutput(self)
        }
    }

    /// Re-registers for what the state needs now.
    ///
    /// - Important: call with the output lock held.
    private func updateInterest(_ state: inout OutputState) {
        guard !state.closed else { return }
        let desired = state.desiredInterest(limits)
        guard desired != state.registered, state.token != 0 else { return }
        do {
            try loop.poller.modify(descriptor, token: state.token, interest: desired)
            state.registered = desired
        } catch {
            state.broken = true
        }
    }
}

extension Connection: EventHandler {
    func handle(_ event: Poller.Event) {
        if event.readable {
            let reading = output.withLock { $0.registered.contains(.readable) && !$0.closed }
            if reading { readAvailable() }
        }
        if event.writable || output.withLock({ $0.broken }) {
            flush()
        }
        if event.hangup, !event.readable {
            // Both directions are gone (EPOLLHUP/EPOLLERR): nothing more can
            // be read or written.
            closeOnLoop()
        }
    }
}
