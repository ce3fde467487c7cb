import Posix

/// A blocking RFC 6455 client over a TCP socket of its own, for `ws://`
/// URLs only (no TLS library is at hand). Every call but `shutdown` blocks:
/// use it from a thread of its own (`OSThread`), never from Swift's
/// cooperative pool.
///
/// `receive` answers pings and the peer's close itself; frames it sends
/// are masked, as a client's must be.
package final class WebSocketClient: Sendable {
    /// Where a `ws://` URL points.
    package struct Address: Sendable, Equatable {
        package var host: String
        package var port: UInt16
        /// The path with its query: "/ws?clientId=x".
        package var target: String

        package init(host: String, port: UInt16, target: String) {
            self.host = host
            self.port = port
            self.target = target
        }

        /// `ws://host[:port][/path][?query]`; nil for any other URL (wss://
        /// among them).
        package init?(_ url: String) {
            guard url.hasPrefix("ws://") else { return nil }
            let rest = url.dropFirst("ws://".count)
            let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let authority = rest[..<slash]
            target = slash == rest.endIndex ? "/" : (rest[slash] == "?" ? "/" : "") + String(rest[slash...])
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
                guard let port = UInt16(authority[authority.index(after: colon)...]) else { return nil }
                host = String(authority[..<colon])
                self.port = port
            } else {
                host = String(authority)
                port = 80
            }
            guard !host.isEmpty, !host.contains("@") else { return nil }
        }

        /// The `Host` field: the port named unless it is 80.
        var hostField: String { port == 80 ? host : "\(host):\(port)" }
    }

    /// The largest handshake answer read.
    static let maximumHeadBytes = 16 << 10

    private let descriptor: FileDescriptor
    private let state: Lock<State>

    private struct State {
        var parser: WebSocketFrameParser
        var assembler: WebSocketMessageAssembler
        var shut = false
    }

    /// Opens a websocket: connects (within `timeout`), sends the handshake
    /// and checks the answer (within `timeout` again).
    ///
    /// - Parameter maximumMessageBytes: the largest frame or message taken.
    /// - Throws: `.unsupportedURL`, `.connection` or `.handshake`.
    package static func connect(_ url: String, timeout: Duration, maximumMessageBytes: Int = 1 << 20) throws(WebSocketError) -> WebSocketClient {
        guard let address = Address(url) else {
            throw WebSocketError(.unsupportedURL, "\(url) is not a ws:// URL (wss:// is not supported: no TLS library)")
        }
        let fd: FileDescriptor
        do {
            fd = try TCPSocket.connect(resolving: address.host, port: address.port, timeout: timeout)
        } catch {
            throw WebSocketError(.connection, "cannot connect to \(url): \(error)")
        }
        do {
            let key = WebSocketHandshake.randomKey()
            try UnixSocket.sendAll(fd, WebSocketHandshake.request(path: address.target, host: address.hostField, key: key))
            let (head, rest) = try readHead(fd, timeout: timeout, url: url)
            try WebSocketHandshake.check(responseHead: head, key: key)
            var parser = WebSocketFrameParser(maximumPayloadBytes: maximumMessageBytes, expectsMasked: false)
            parser.append(rest)
            return WebSocketClient(fd, parser: parser, maximumMessageBytes: maximumMessageBytes)
        } catch let error as WebSocketError {
            try? fd.close()
            throw error
        } catch {
            try? fd.close()
            throw WebSocketError(.connection, "the websocket handshake with \(url) failed: \(error)")
        }
    }

    private init(_ descriptor: FileDescriptor, parser: WebSocketFrameParser, maximumMessageBytes: Int) {
        self.descriptor = descriptor
        state = Lock(State(parser: parser, assembler: WebSocketMessageAssembler(maximumMessageBytes: maximumMessageBytes)))
    }

    deinit {
        try? descriptor.close()
    }

    /// Reads up to the blank line that ends the answer's head: the head as
    /// text, and whatever came after it (the first frames).
    private static func readHead(_ fd: FileDescriptor, timeout: Duration, url: String) throws -> (String, [UInt8]) {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = headEnd(bytes) { return (String(decoding: bytes[..<end], as: UTF8.self), Array(bytes[(end + 4)...])) }
            guard bytes.count < maximumHeadBytes else { throw WebSocketError(.handshake, "\(url) answered a head over \(maximumHeadBytes) bytes") }
            let left = MonotonicInstant.now().duration(to: deadline)
            guard left > .zero, try Poll.wait(for: fd, events: .readable, timeout: left) else {
                throw WebSocketError(.handshake, "\(url) did not answer the websocket handshake in time")
            }
            let result = try chunk.withUnsafeMutableBytes { buffer in try fd.read(into: buffer) }
            switch result {
            case .bytes(let count): bytes += chunk[..<count]
            case .endOfFile: throw WebSocketError(.handshake, "\(url) closed the connection during the websocket handshake")
            case .wouldBlock: continue
            }
        }
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// The next text or binary message. Pings are answered with pongs and
    /// pongs dropped on the way.
    ///
    /// - Throws: `.closed` when the server closed the websocket (its close
    ///   answered) or the connection ended; `.connection`,
    ///   `.protocolViolation` or `.tooLarge` otherwise (the connection is
    ///   then shut: what follows cannot be trusted).
    package func receive() throws(WebSocketError) -> WebSocketEvent {
        // Without a timeout there is always an answer.
        try receive(timeout: nil)!
    }

    /// The next text or binary message, or nil when none came within
    /// `timeout` (nil: wait for ever); see `receive()`.
    package func receive(timeout: Duration?) throws(WebSocketError) -> WebSocketEvent? {
        let deadline = timeout.map { MonotonicInstant.now().advanced(by: $0) }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let event: WebSocketEvent?
            do {
                // Every frame read so far first: a fragment completes no
                // message, but the rest of it may be buffered already.
                event = try state.withLock { (state) throws(WebSocketError) -> WebSocketEvent? in
                    while let frame = try state.parser.nextFrame() {
                        if let event = try state.assembler.take(frame) { return event }
                    }
                    return nil
                }
            } catch {
                shutdown()
                throw error
            }
            switch event {
            case .text, .binary: return event!
            case .ping(let payload):
                try? send(WebSocketFrame(opcode: .pong, payload: payload))
                continue
            case .pong: continue
            case .close(let code, let reason):
                // Echo the code (section 5.5.1), then the connection is done.
                try? send(.close(code: code))
                shutdown()
                throw WebSocketError(.closed(code: code), "the server closed the websocket" + (code.map { " (\($0)\(reason.isEmpty ? "" : ": \(reason)"))" } ?? ""))
            case nil: break
            }
            let result: FileDescriptor.ReadResult
            do {
                if let deadline {
                    let left = MonotonicInstant.now().duration(to: deadline)
                    guard left > .zero, try Poll.wait(for: descriptor, events: .readable, timeout: left) else { return nil }
                }
                result = try chunk.withUnsafeMutableBytes { (buffer) throws(SystemError) in try descriptor.read(into: buffer) }
            } catch {
                shutdown()
                throw WebSocketError(.connection, "the websocket broke: \(error)")
            }
            switch result {
            case .bytes(let count): state.withLock { $0.parser.append(chunk[..<count]) }
            case .endOfFile, .wouldBlock:
                shutdown()
                throw WebSocketError(.closed(code: nil), "the websocket connection ended")
            }
        }
    }

    /// Sends one text message.
    package func send(text: String) throws(WebSocketError) {
        try send(WebSocketFrame(opcode: .text, payload: Array(text.utf8)))
    }

    /// Sends `frame`, masked with a fresh key.
    package func send(_ frame: WebSocketFrame) throws(WebSocketError) {
        var generator = SystemRandomNumberGenerator()
        let key = UInt32.random(in: 0...UInt32.max, using: &generator)
        let bytes = frame.encoded(mask: (UInt8(key >> 24), UInt8(key >> 16 & 0xFF), UInt8(key >> 8 & 0xFF), UInt8(key & 0xFF)))
        guard !state.withLock({ $0.shut }) else { throw WebSocketError(.closed(code: nil), "the websocket is closed") }
        do {
            try UnixSocket.sendAll(descriptor, bytes)
        } catch {
            throw WebSocketError(.connection, "the websocket broke: \(error)")
        }
    }

    /// Sends a close frame (best effort) and shuts the connection; safe
    /// from any thread: a `receive` blocked in another returns `.closed`.
    package func close(code: UInt16 = 1000) {
        if !state.withLock({ $0.shut }) { try? send(.close(code: code)) }
        shutdown()
    }

    /// Shuts the socket without a close frame; any thread.
    package func shutdown() {
        state.withLock { $0.shut = true }
        TCPSocket.shutdown(descriptor)
    }
}
