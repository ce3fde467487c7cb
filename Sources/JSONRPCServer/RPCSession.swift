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
/// - Asynchronous methods run in tasks; up to `maximumInFlight` per
///   connection, beyond which reading pauses until some finish.
/// - A line over the size limit gets one -32600 error and the connection is
///   closed.
/// - At end of input, outstanding replies are sent before closing (so
///   `echo '{...}' | socat - UNIX-CONNECT:...` gets its answer).
public final class RPCSession: ConnectionDelegate, @unchecked Sendable {
    /// The connection's number, for logs.
    public let connectionID: UInt64
    /// Who is connected.
    public let peer: PeerCredentials?

    private let connection: Connection
    private let dispatcher: RPCDispatcher
    private let maximumInFlight: Int
    private let onClose: @Sendable (RPCSession) -> Void
    private let inFlight = Atomic<Int>(0)
    private let inputEnded = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)

    // Loop-thread state.
    private var framer: LineFramer
    private var readingPaused = false

    init(
        connection: Connection,
        dispatcher: RPCDispatcher,
        maximumLineLength: Int,
        maximumInFlight: Int,
        onClose: @escaping @Sendable (RPCSession) -> Void
    ) {
        self.connection = connection
        self.connectionID = connection.id
        self.peer = connection.peer
        self.dispatcher = dispatcher
        self.maximumInFlight = maximumInFlight
        self.onClose = onClose
        framer = LineFramer(maximumLineLength: maximumLineLength)
    }

    /// Sends a notification to the client. Safe from any thread.
    ///
    /// - Returns: false if the connection is closed.
    @discardableResult
    public func notify(_ notification: RPCNotification) -> Bool {
        var buffer: [UInt8] = []
        JSONSerializer.append(notification.json, to: &buffer)
        buffer.append(0x0A)
        return connection.send(buffer)
    }

    /// Bytes waiting to be written to this client (for subscribers that read slowly).
    public var pendingOutputCount: Int { connection.pendingOutputCount }

    /// True once the connection is closed.
    public var isClosed: Bool { connection.isClosed }

    /// Stops reading; closes once the requests in flight are answered.
    /// Safe from any thread.
    public func beginDrain() {
        draining.store(true, ordering: .sequentiallyConsistent)
        connection.setReading(false)
        if inFlight.load(ordering: .sequentiallyConsistent) == 0 {
            connection.close(afterFlush: true)
        }
    }

    /// Closes the connection now.
    public func close() {
        connection.close()
    }

    // MARK: ConnectionDelegate (loop thread)

    public func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        var output: [UInt8] = []
        let outcome = framer.feed(bytes) { line in handle(line, into: &output) }
        finish(outcome, output: output)
    }

    public func connectionDidReachEndOfInput(_ connection: Connection) {
        // A last line without its newline is still a message.
        var output: [UInt8] = []
        let outcome = framer.finish { line in handle(line, into: &output) }
        inputEnded.store(true, ordering: .sequentiallyConsistent)
        finish(outcome, output: output)
        if inFlight.load(ordering: .sequentiallyConsistent) == 0, !readingPaused {
            connection.close(afterFlush: true)
        }
    }

    public func connectionDidClose(_ connection: Connection) {
        onClose(self)
    }

    // MARK: Private

    /// Dispatches one line; returns false to pause (too many in flight).
    private func handle(_ line: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Bool {
        let context = RPCRequestContext(connectionID: connectionID, peer: peer, isNotification: false, session: self)
        switch dispatcher.handle(line: line, context: context) {
        case .none:
            break
        case .now(let bytes):
            output.append(contentsOf: bytes)
        case .later(let work):
            inFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
            Task { [self] in
                if let bytes = await work() { connection.send(bytes) }
                requestFinished()
            }
        }
        return inFlight.load(ordering: .sequentiallyConsistent) < maximumInFlight
    }

    /// After a feed or resume: write the batch of immediate replies, and
    /// pause, or close on overflow.
    private func finish(_ outcome: LineFramer.Outcome, output: [UInt8]) {
        if !output.isEmpty { connection.send(output) }
        switch outcome {
        case .consumed:
            if readingPaused {
                readingPaused = false
                if !draining.load(ordering: .sequentiallyConsistent) { connection.setReading(true) }
                if inputEnded.load(ordering: .sequentiallyConsistent), inFlight.load(ordering: .sequentiallyConsistent) == 0 {
                    connection.close(afterFlush: true)
                }
            }
        case .paused:
            readingPaused = true
            connection.setReading(false)
        case .overflow:
            var error: [UInt8] = []
            RPCResponse(id: .null, outcome: .failure(.messageTooLarge(limit: framer.maximumLineLength))).write(to: &error)
            error.append(0x0A)
            connection.send(error)
            connection.close(afterFlush: true)
        }
    }

    /// A deferred request finished (any thread).
    private func requestFinished() {
        let left = inFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue
        if left == 0, inputEnded.load(ordering: .sequentiallyConsistent) || draining.load(ordering: .sequentiallyConsistent) {
            connection.loop.execute { [self] in
                // Lines paused in the framer still need answers at end of input.
                if readingPaused, !draining.load(ordering: .sequentiallyConsistent) {
                    resumeBufferedLines()
                } else {
                    connection.close(afterFlush: true)
                }
            }
            return
        }
        if left == maximumInFlight - 1 {
            connection.loop.execute { [self] in
                if readingPaused { resumeBufferedLines() }
            }
        }
    }

    /// Hands the lines that waited during a pause to the dispatcher (loop thread).
    private func resumeBufferedLines() {
        var output: [UInt8] = []
        let outcome: LineFramer.Outcome
        if inputEnded.load(ordering: .sequentiallyConsistent) {
            outcome = framer.finish { line in handle(line, into: &output) }
        } else {
            outcome = framer.resume { line in handle(line, into: &output) }
        }
        finish(outcome, output: output)
    }
}
