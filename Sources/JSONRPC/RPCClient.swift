import JSON
import Posix

/// A blocking JSON-RPC client over one stream socket: writes a request line,
/// reads lines until the matching response comes, keeps notifications that
/// arrive meanwhile.
///
/// For command-line tools and tests. Not thread-safe: one caller at a time.
/// Blocks the calling thread: never use it on Swift's cooperative pool.
public final class RPCClient {
    /// The socket.
    public let descriptor: FileDescriptor
    private var nextID = 1
    /// Replies: no bound, the daemon is trusted to send what was asked for.
    private var framer = LineFramer(maximumLineLength: .max)
    private var notifications: [RPCNotification] = []
    private var isClosed = false

    /// Uses a connected socket; the client closes it in `close()`.
    public init(descriptor: FileDescriptor) {
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Calls a typed method.
    public func call<Method: RPCMethod>(
        _ method: Method.Type,
        _ parameters: Method.Parameters,
        timeout: Duration? = nil
    ) throws(RPCClientError) -> Method.Result {
        let result = try call(Method.name, params: parameters.params, timeout: timeout)
        do {
            return try Method.Result(result: result)
        } catch {
            throw .malformedReply("\(Method.name): \(error)")
        }
    }

    /// Calls `method` and returns its result.
    ///
    /// - Throws: `.server` with the error object when the server answers with one.
    public func call(_ method: String, params: JSON? = nil, timeout: Duration? = nil) throws(RPCClientError) -> JSON {
        let id = RPCID(nextID)
        nextID += 1
        try send(RPCRequest(id: id, method: method, params: params).json)
        let deadline = timeout.map { MonotonicInstant.now().advanced(by: $0) }
        while true {
            let message = try readMessage(until: deadline, timeout: timeout)
            if let response = RPCResponse(json: message) {
                guard response.id == id else { continue }  // an answer to an earlier, abandoned call
                switch response.outcome {
                case .success(let result): return result
                case .failure(let error): throw .server(error)
                }
            } else if let notification = RPCNotification(json: message) {
                notifications.append(notification)
            } else {
                throw .malformedReply("expected a response, got \(message)")
            }
        }
    }

    /// Sends a notification (no reply will come).
    public func notify(_ method: String, params: JSON? = nil) throws(RPCClientError) {
        try send(RPCRequest(id: nil, method: method, params: params).json)
    }

    /// The next notification from the server: one kept from earlier calls, or
    /// the next to arrive within `timeout` (nil waits forever).
    ///
    /// - Returns: nil on timeout.
    public func nextNotification(timeout: Duration?) throws(RPCClientError) -> RPCNotification? {
        if !notifications.isEmpty { return notifications.removeFirst() }
        let deadline = timeout.map { MonotonicInstant.now().advanced(by: $0) }
        while true {
            let message: JSON
            do {
                message = try readMessage(until: deadline, timeout: timeout)
            } catch .timedOut {
                return nil
            }
            if let notification = RPCNotification(json: message) { return notification }
        }
    }

    /// Closes the connection.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        try? descriptor.close()
    }

    // MARK: Private

    private func send(_ message: JSON) throws(RPCClientError) {
        var bytes = JSONSerializer.serialize(message)
        bytes.append(0x0A)
        do {
            try UnixSocket.sendAll(descriptor, bytes)
        } catch {
            throw error.isDisconnect ? .connectionClosed : .io(error)
        }
    }

    private func readMessage(until deadline: MonotonicInstant?, timeout: Duration?) throws(RPCClientError) -> JSON {
        var line: [UInt8]?
        _ = framer.resume { Self.take($0, into: &line) }
        while line == nil {
            try fill(until: deadline, timeout: timeout) { chunk in
                _ = framer.feed(chunk) { Self.take($0, into: &line) }
            }
        }
        do {
            return try JSONParser.parse(line ?? [])
        } catch {
            throw .malformedReply("not JSON (\(error))")
        }
    }

    /// Keeps a line that is not blank and pauses the framer after it: one
    /// message per `readMessage`, the rest stays buffered.
    private static func take(_ bytes: UnsafeRawBufferPointer, into line: inout [UInt8]?) -> Bool {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return true }
        line = Array(bytes)
        return false
    }

    /// Waits for bytes (until `deadline`) and hands what one read got to `received`.
    private func fill(
        until deadline: MonotonicInstant?, timeout: Duration?, _ received: (UnsafeRawBufferPointer) -> Void
    ) throws(RPCClientError) {
        do {
            let left = deadline.map { MonotonicInstant.now().duration(to: $0) }
            if let left, left <= .zero { throw RPCClientError.timedOut(timeout ?? .zero) }
            guard try Poll.wait(for: descriptor, events: .readable, timeout: left) else {
                throw RPCClientError.timedOut(timeout ?? .zero)
            }
            // A small stack buffer: replies are short, and a fresh 64 KiB
            // heap array would cost a short-lived client 16 page faults.
            let result = try withUnsafeTemporaryAllocation(byteCount: 8192, alignment: 16) { chunk in
                Result { () throws(SystemError) -> FileDescriptor.ReadResult in
                    let outcome = try descriptor.read(into: chunk)
                    if case .bytes(let count) = outcome {
                        received(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                    }
                    return outcome
                }
            }.get()
            if result == .endOfFile { throw RPCClientError.connectionClosed }
        } catch let error as RPCClientError {
            throw error
        } catch let error as SystemError {
            throw error.isDisconnect ? .connectionClosed : .io(error)
        } catch {
            throw .malformedReply("\(error)")
        }
    }
}
