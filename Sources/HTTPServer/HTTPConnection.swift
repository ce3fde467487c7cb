import Posix
import StreamServer

/// One client connection of an `HTTPServer`: parses requests, runs the
/// handler for each in a task, and writes the replies in request order
/// (pipelined requests are answered in the order they came, as HTTP/1.1
/// requires), then keeps the connection or closes it. A request that asks
/// to upgrade is the last one read: when its handler answers
/// `.upgrade`, the connection's bytes go to that session from then on.
final class HTTPConnection: ConnectionDelegate, @unchecked Sendable {
    private let connection: Connection
    private let handler: HTTPServer.Handler
    private let maximumPipelined: Int
    private let state = Lock(Shared())
    /// Where input goes once the connection was upgraded; a lock of its
    /// own, so that `connectionDidClose` may take it inside `writeReady`.
    private let upgradedInput = Lock<AsyncStream<[UInt8]>.Continuation?>(nil)

    // Loop-thread state.
    private var parser: HTTPRequestParser
    private var nextSequence = 0
    /// No more requests are read: the last one asked to close, or a
    /// malformed one was answered with an error.
    private var acceptingRequests = true

    /// State shared with the tasks that complete replies.
    private struct Shared {
        var completed: [Int: Completed] = [:]
        var nextToSend = 0
        var inFlight = 0
        /// A throttled body is being written; later replies wait.
        var writing = false
        var inputEnded = false
        var readingPaused = false
        var closing = false
        /// What the client sent after an upgrade request, before any answer.
        var afterUpgradeRequest: [UInt8] = []
    }

    private struct Completed {
        var reply: HTTPReply
        var keepAlive: Bool
        var headOnly: Bool
    }

    init(connection: Connection, handler: @escaping HTTPServer.Handler, limits: HTTPRequestParser.Limits, maximumPipelined: Int) {
        self.connection = connection
        self.handler = handler
        self.maximumPipelined = maximumPipelined
        parser = HTTPRequestParser(limits: limits)
    }

    // MARK: ConnectionDelegate (loop thread)

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        if let upgraded = upgradedInput.withLock({ $0 }) {
            upgraded.yield(Array(bytes))
            return
        }
        guard acceptingRequests else { return }
        parser.append(bytes)
        takeRequests()
    }

    func connectionDidReachEndOfInput(_ connection: Connection) {
        if let upgraded = upgradedInput.withLock({ $0 }) {
            // The session sees the end and closes when it is done.
            upgraded.finish()
            return
        }
        let idle = state.withLock { shared in
            shared.inputEnded = true
            return shared.inFlight == 0
        }
        if idle { connection.close(afterFlush: true) }
    }

    func connectionDidClose(_ connection: Connection) {
        // Nothing to do, and no lock to take: this can be called from inside
        // `writeReady` (closing on the loop thread), which holds it. Later
        // sends to a closed connection are dropped by the connection.
        upgradedInput.withLock { $0 }?.finish()
    }

    // MARK: Private

    /// Hands every complete request to the handler (loop thread).
    private func takeRequests() {
        while acceptingRequests {
            let paused = state.withLock { shared -> Bool in
                if shared.inFlight >= maximumPipelined {
                    shared.readingPaused = true
                    return true
                }
                return false
            }
            if paused {
                connection.setReading(false)
                return
            }
            switch parser.nextRequest() {
            case .needMoreData:
                return
            case .request(let request):
                let sequence = begin()
                // Bytes after an upgrade request are the new protocol's: the
                // connection closes after it unless its handler upgrades.
                let upgrading = request.header("upgrade") != nil
                let keepAlive = request.wantsKeepAlive && !upgrading
                if upgrading {
                    let rest = parser.takeBuffered()
                    state.withLock { $0.afterUpgradeRequest = rest }
                }
                if !keepAlive { stopAccepting() }
                let headOnly = request.method == "HEAD"
                let handler = self.handler
                Task { [self] in
                    var reply = await handler(request)
                    if case .upgrade = reply, !upgrading { reply = .response(.text("an upgrade answered a request that asked for none\n", status: .internalServerError)) }
                    complete(sequence, Completed(reply: reply, keepAlive: keepAlive, headOnly: headOnly))
                }
            case .failure(let error):
                let sequence = begin()
                stopAccepting()
                let response = HTTPResponse.text(error.message + "\n", status: error.status)
                complete(sequence, Completed(reply: .response(response), keepAlive: false, headOnly: false))
            }
        }
    }

    private func begin() -> Int {
        let sequence = nextSequence
        nextSequence += 1
        state.withLock { $0.inFlight += 1 }
        return sequence
    }

    private func stopAccepting() {
        acceptingRequests = false
        connection.setReading(false)
    }

    /// Records a reply and writes every reply that is next in order (any thread).
    private func complete(_ sequence: Int, _ completed: Completed) {
        state.withLock { shared in
            shared.completed[sequence] = completed
            writeReady(&shared)
        }
    }

    /// Writes replies in sequence while the next one is ready.
    ///
    /// - Important: call with `state` locked; sends happen under the lock so
    ///   that replies can never overtake each other.
    private func writeReady(_ shared: inout Shared) {
        while !shared.writing, !shared.closing, let next = shared.completed.removeValue(forKey: shared.nextToSend) {
            shared.nextToSend += 1
            shared.inFlight -= 1
            switch next.reply {
            case .response(let response):
                var bytes = response.head(keepAlive: next.keepAlive)
                if !next.headOnly { bytes += response.body }
                connection.send(bytes)
                if !next.keepAlive { closeAfterFlush(&shared) }
            case .resetConnection:
                shared.closing = true
                connection.reset()
            case .upgrade(let response, let session):
                upgrade(response, session, &shared)
                return
            case .truncated(let response, let bodyBytes):
                connection.send(response.head(keepAlive: false) + response.body.prefix(max(0, bodyBytes)))
                closeAfterFlush(&shared)
            case .throttled(let response, let chunkBytes, let interval):
                shared.writing = true
                let head = response.head(keepAlive: next.keepAlive)
                let body = next.headOnly ? [] : response.body
                let keepAlive = next.keepAlive
                Task { [self] in
                    connection.send(head)
                    var offset = 0
                    while offset < body.count, !connection.isClosed {
                        let end = min(body.count, offset + max(1, chunkBytes))
                        try? await Task.sleep(for: interval)
                        connection.send(Array(body[offset..<end]))
                        offset = end
                    }
                    state.withLock { shared in
                        shared.writing = false
                        if !keepAlive { closeAfterFlush(&shared) }
                        writeReady(&shared)
                    }
                }
                return
            }
        }
        if shared.readingPaused, shared.inFlight < maximumPipelined, !shared.closing {
            shared.readingPaused = false
            connection.loop.execute { [self] in
                connection.setReading(true)
                takeRequests()
            }
        }
        if shared.inputEnded, shared.inFlight == 0, !shared.writing, !shared.closing {
            closeAfterFlush(&shared)
        }
    }

    /// Sends the 101 and hands the connection to `session`: no HTTP reply
    /// follows, and reading (paused at the upgrade request) starts again
    /// into the session's input.
    ///
    /// - Important: call with `state` locked.
    private func upgrade(_ response: HTTPResponse, _ session: @escaping @Sendable (UpgradedConnection) async -> Void, _ shared: inout Shared) {
        shared.closing = true
        let (input, continuation) = AsyncStream<[UInt8]>.makeStream()
        if !shared.afterUpgradeRequest.isEmpty { continuation.yield(shared.afterUpgradeRequest) }
        shared.afterUpgradeRequest = []
        if shared.inputEnded { continuation.finish() }
        upgradedInput.withLock { $0 = continuation }
        connection.send(response.head(keepAlive: true))
        let upgraded = UpgradedConnection(connection: connection, input: input)
        connection.loop.execute { [connection] in connection.setReading(true) }
        Task {
            await session(upgraded)
            upgraded.close()
        }
    }

    private func closeAfterFlush(_ shared: inout Shared) {
        shared.closing = true
        connection.close(afterFlush: true)
    }
}
