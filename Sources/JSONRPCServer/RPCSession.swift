import JSON
import JSONRPC
import Posix
import StreamServer
import Synchronization

/// One client connection speaking NDJSON JSON-RPC: frames lines, dispatches
/// them, writes replies, and applies the limits.
///
/// - Replies to synchronous methods are written once per read (one write for
///   a pipelined burst), on the loop thread.
/// - Asynchronous methods run in tasks: up to `maximumInFlight` per
///   connection, of which at most `maximumBuilding` build their replies
///   (`RPCMethodTable.Work`).
/// - A line is dispatched only while the output queued for the client is at
///   the connection's high-water mark or under it. So the memory a client
///   can make the daemon hold is that mark plus the few replies being built,
///   however many requests it pipelines without reading: past the limits the
///   lines wait in the framer, reading stops, and both resume as replies
///   finish and the client reads.
/// - A batch's reply is written in pieces while it runs (`RPCBatchOutput`);
///   meanwhile other replies wait, so that nothing lands inside its line.
/// - A line over the size limit gets one -32600 error and the connection is
///   closed.
/// - At end of input, outstanding replies are sent before closing (so
///   `echo '{...}' | socat - UNIX-CONNECT:...` gets its answer).
/// - When a connection that queued more than the mark is closed and its
///   requests are done, the allocator's free pages go back to the system
///   (`FreeMemory`).
package final class RPCSession: ConnectionDelegate, @unchecked Sendable {
    /// The connection's number, for logs.
    package let connectionID: UInt64
    /// Who is connected.
    package let peer: PeerCredentials?

    private let connection: Connection
    private let dispatcher: RPCDispatcher
    private let maximumInFlight: Int
    private let maximumBuilding: Int
    private let onClose: @Sendable (RPCSession) -> Void
    /// Asynchronous requests and batches running.
    private let inFlight = Atomic<Int>(0)
    /// The server's count of requests in flight on every connection.
    private let burst: RequestBurst
    /// Those of them that build their replies.
    private let building = Atomic<Int>(0)
    private let inputEnded = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)
    /// The framer holds lines back until there is room. Written on the loop
    /// thread; read by tasks whose end may make room.
    private let readingPaused = Atomic<Bool>(false)
    /// Some output passed the high-water mark: memory worth giving back
    /// once the connection is closed and its requests are done.
    private let queuedLargeOutput = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)
    private let outgoing = Lock<Outgoing>(Outgoing())

    // Loop-thread state.
    private var framer: LineFramer

    /// What is written to the client, and who waits to write.
    private struct Outgoing {
        /// The batch whose reply line is partly written: every other write
        /// waits in `held` until the line ends.
        var lineOwner: ObjectIdentifier?
        var held: [UInt8] = []
        /// Batches waiting for the line, first come first served.
        var lineWaiters: [(batch: ObjectIdentifier, continuation: CheckedContinuation<Void, Never>)] = []
        /// Batches waiting for the client to read.
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    init(
        connection: Connection,
        dispatcher: RPCDispatcher,
        maximumLineLength: Int,
        maximumInFlight: Int,
        maximumBuilding: Int,
        burst: RequestBurst,
        onClose: @escaping @Sendable (RPCSession) -> Void
    ) {
        self.burst = burst
        self.connection = connection
        self.connectionID = connection.id
        self.peer = connection.peer
        self.dispatcher = dispatcher
        self.maximumInFlight = maximumInFlight
        self.maximumBuilding = maximumBuilding
        self.onClose = onClose
        framer = LineFramer(maximumLineLength: maximumLineLength)
    }

    /// Sends a notification to the client. Safe from any thread.
    ///
    /// - Returns: false if the connection is closed.
    @discardableResult
    package func notify(_ notification: RPCNotification) -> Bool {
        var buffer: [UInt8] = []
        JSONSerializer.append(notification.json, to: &buffer)
        buffer.append(0x0A)
        return write(buffer)
    }

    /// Bytes waiting to be written to this client (for subscribers that read
    /// slowly), those held behind a batch's line included.
    package var pendingOutputCount: Int {
        outgoing.withLock { connection.pendingOutputCount + $0.held.count }
    }

    /// True once the connection is closed.
    package var isClosed: Bool { connection.isClosed }

    /// Stops reading; closes once the requests in flight are answered.
    /// Safe from any thread.
    package func beginDrain() {
        draining.store(true, ordering: .sequentiallyConsistent)
        connection.setReading(false)
        if inFlight.load(ordering: .sequentiallyConsistent) == 0 {
            connection.close(afterFlush: true)
        }
    }

    /// Closes the connection now.
    package func close() {
        connection.close()
    }

    // MARK: ConnectionDelegate (loop thread)

    package func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        var output: [UInt8] = []
        let outcome = framer.feed(bytes) { line in handle(line, into: &output) }
        if finish(outcome, output: output) { resumeBufferedLines() }
    }

    package func connectionDidReachEndOfInput(_ connection: Connection) {
        // A last line without its newline is still a message.
        var output: [UInt8] = []
        let outcome = framer.finish { line in handle(line, into: &output) }
        inputEnded.store(true, ordering: .sequentiallyConsistent)
        if finish(outcome, output: output) {
            resumeBufferedLines()
        } else if inFlight.load(ordering: .sequentiallyConsistent) == 0, !readingPaused.load(ordering: .sequentiallyConsistent) {
            connection.close(afterFlush: true)
        }
    }

    package func connectionDidDrainOutput(_ connection: Connection) {
        queuedLargeOutput.store(true, ordering: .relaxed)
        let waiters = outgoing.withLock { state in
            defer { state.roomWaiters = [] }
            return state.roomWaiters
        }
        for waiter in waiters { waiter.resume() }
        resumeIfThereIsRoom()
    }

    package func connectionDidClose(_ connection: Connection) {
        let waiters = outgoing.withLock { state in
            state.closed = true
            state.held = []
            defer {
                state.roomWaiters = []
                state.lineWaiters = []
            }
            return state.roomWaiters + state.lineWaiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume() }
        closed.store(true, ordering: .sequentiallyConsistent)
        if inFlight.load(ordering: .sequentiallyConsistent) == 0 { releaseMemory() }
        onClose(self)
    }

    // MARK: Private

    /// Dispatches one line; returns false to pause (no room for another).
    private func handle(_ line: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Bool {
        let context = RPCRequestContext(connectionID: connectionID, peer: peer, isNotification: false, session: self)
        switch dispatcher.handle(line: line, context: context) {
        case .none:
            break
        case .now(let bytes):
            output.append(contentsOf: bytes)
        case .later(let work, let body):
            start(work) { [self] in
                if let bytes = await body() { write(bytes) }
            }
        case .batch(let work, let answer):
            start(work) { [self] in await answer(BatchLine(session: self, pieceSize: connection.outputHighWater)) }
        }
        return hasRoom(besides: output.count)
    }

    /// Whether another line may be dispatched: a slot is free for any kind
    /// of request (its kind is known only once it is parsed), and the output
    /// queued, plus `unsent` bytes about to be, is within the mark.
    private func hasRoom(besides unsent: Int) -> Bool {
        inFlight.load(ordering: .sequentiallyConsistent) < maximumInFlight
            && building.load(ordering: .sequentiallyConsistent) < maximumBuilding
            && unsent + pendingOutputCount <= connection.outputHighWater
    }

    private func start(_ work: RPCMethodTable.Work, _ body: @escaping @Sendable () async -> Void) {
        inFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
        if work == .building { building.wrappingAdd(1, ordering: .sequentiallyConsistent) }
        burst.started()
        // Starts here, on the loop that read the request, and goes on where
        // it is resumed from (see `RPCMethodTable`): no pool hop for a
        // request that only waits for the store.
        HandOffExecutor.runningHandedOff {
            _ = Task(executorPreference: HandOffExecutor.shared) { [self] in
                await body()
                requestFinished(work)
                burst.finished()
            }
        }
    }

    /// After a feed or resume: writes the immediate replies, and pauses, or
    /// closes on overflow.
    ///
    /// - Returns: true when the framer paused but there is room again
    ///   already (a request finished meanwhile, the socket took the
    ///   replies): the caller resumes it.
    private func finish(_ outcome: LineFramer.Outcome, output: [UInt8]) -> Bool {
        if !output.isEmpty { write(output) }
        switch outcome {
        case .consumed:
            if readingPaused.load(ordering: .sequentiallyConsistent) {
                readingPaused.store(false, ordering: .sequentiallyConsistent)
                if !draining.load(ordering: .sequentiallyConsistent) { connection.setReading(true) }
                if inputEnded.load(ordering: .sequentiallyConsistent), inFlight.load(ordering: .sequentiallyConsistent) == 0 {
                    connection.close(afterFlush: true)
                }
            }
            return false
        case .paused:
            if !readingPaused.load(ordering: .sequentiallyConsistent) {
                connection.setReading(false)
                // Published before the check below; a task that finishes
                // reads it after its count went down, so either the check
                // sees the room or the task comes to resume.
                readingPaused.store(true, ordering: .sequentiallyConsistent)
            }
            return !draining.load(ordering: .sequentiallyConsistent) && hasRoom(besides: 0)
        case .overflow:
            var error: [UInt8] = []
            RPCResponse(id: .null, outcome: .failure(.messageTooLarge(limit: framer.maximumLineLength))).write(to: &error)
            error.append(0x0A)
            write(error)
            connection.close(afterFlush: true)
            return false
        }
    }

    /// An asynchronous request or batch finished (any thread).
    private func requestFinished(_ work: RPCMethodTable.Work) {
        if work == .building { building.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        let left = inFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue
        if left == 0, closed.load(ordering: .sequentiallyConsistent) {
            releaseMemory()
            return
        }
        if left == 0, inputEnded.load(ordering: .sequentiallyConsistent) || draining.load(ordering: .sequentiallyConsistent) {
            connection.loop.execute { [self] in
                // Lines paused in the framer still need answers at end of input.
                if readingPaused.load(ordering: .sequentiallyConsistent), !draining.load(ordering: .sequentiallyConsistent) {
                    resumeIfThereIsRoom()
                } else {
                    connection.close(afterFlush: true)
                }
            }
            return
        }
        if readingPaused.load(ordering: .sequentiallyConsistent) {
            connection.loop.execute { [self] in resumeIfThereIsRoom() }
        }
    }

    /// Once a connection that queued large output is closed and its last
    /// request done, the memory its replies took is free but still the
    /// allocator's: it goes back to the system (once per connection).
    private func releaseMemory() {
        if queuedLargeOutput.exchange(false, ordering: .relaxed) { FreeMemory.returnToSystemSoon() }
    }

    /// Resumes the paused framer if the limits allow another line (loop thread).
    private func resumeIfThereIsRoom() {
        guard readingPaused.load(ordering: .sequentiallyConsistent), !draining.load(ordering: .sequentiallyConsistent),
              hasRoom(besides: 0)
        else { return }
        resumeBufferedLines()
    }

    /// Hands the lines that waited during a pause to the dispatcher, for as
    /// long as there is room (loop thread).
    private func resumeBufferedLines() {
        var again = true
        while again {
            var output: [UInt8] = []
            let outcome: LineFramer.Outcome
            if inputEnded.load(ordering: .sequentiallyConsistent) {
                outcome = framer.finish { line in handle(line, into: &output) }
            } else {
                outcome = framer.resume { line in handle(line, into: &output) }
            }
            again = finish(outcome, output: output)
        }
    }

    // MARK: Output (any thread)

    /// Writes a reply or notification, or holds it while a batch's line is
    /// open.
    ///
    /// - Returns: false if the connection is closed.
    @discardableResult
    private func write(_ bytes: [UInt8]) -> Bool {
        if bytes.count > connection.outputHighWater { queuedLargeOutput.store(true, ordering: .relaxed) }
        return outgoing.withLock { state in
            guard state.lineOwner == nil else {
                guard !state.closed else { return false }
                state.held.append(contentsOf: bytes)
                return true
            }
            return connection.send(bytes)
        }
    }

    /// See `RPCBatchOutput.waitForRoom()`.
    fileprivate func waitForRoom() async {
        await withCheckedContinuation { continuation in
            let now = outgoing.withLock { state in
                if state.closed || connection.pendingOutputCount <= connection.outputHighWater { return true }
                state.roomWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// See `RPCBatchOutput.write(_:last:)`.
    fileprivate func write(piece: [UInt8], last: Bool, of batch: ObjectIdentifier) async -> Bool {
        await withCheckedContinuation { continuation in
            let now = outgoing.withLock { state in
                if state.closed || state.lineOwner == nil || state.lineOwner == batch {
                    state.lineOwner = batch
                    return true
                }
                state.lineWaiters.append((batch, continuation))
                return false
            }
            if now { continuation.resume() }
        }
        if piece.count > connection.outputHighWater { queuedLargeOutput.store(true, ordering: .relaxed) }
        let (sent, next) = outgoing.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (false, nil) }
            let sent = connection.send(piece)
            guard last else { return (sent, nil) }
            if !state.held.isEmpty {
                connection.send(state.held)
                state.held = []
            }
            guard !state.lineWaiters.isEmpty else {
                state.lineOwner = nil
                return (sent, nil)
            }
            let next = state.lineWaiters.removeFirst()
            state.lineOwner = next.batch
            return (sent, next.continuation)
        }
        next?.resume()
        return sent
    }
}

/// One batch's way to its session's output.
private final class BatchLine: RPCBatchOutput {
    let session: RPCSession
    let pieceSize: Int

    init(session: RPCSession, pieceSize: Int) {
        self.session = session
        self.pieceSize = pieceSize
    }

    func waitForRoom() async {
        await session.waitForRoom()
    }

    func write(_ piece: [UInt8], last: Bool) async -> Bool {
        await session.write(piece: piece, last: last, of: ObjectIdentifier(self))
    }
}
