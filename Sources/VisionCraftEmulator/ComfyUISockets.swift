import HTTPServer
import JSON
import Posix
import WebSocket

/// The ComfyUI emulator's `/ws?clientId=` (server.py `websocket_handler`):
/// one socket per client id, a new one with the same id replacing the old;
/// `{"type": ..., "data": ...}` text frames sent to one client or, with no
/// id, to every socket (`send_json`). What a client sends is read and
/// passed over, as ComfyUI does with anything but its feature flags.
final class ComfyUISockets: Sendable {
    /// The largest frame a client may send (ComfyUI's clients send only
    /// small JSON messages).
    static let maximumFrameBytes = 64 << 10

    private final class Session: Sendable {
        let connection: UpgradedConnection
        init(_ connection: UpgradedConnection) { self.connection = connection }
    }

    private let sessions = Lock<[String: Session]>([:])
    /// Generates the `sid` of clients that give no id (server.py: uuid4().hex).
    private let anonymous = Lock<SplitMix64>(SplitMix64(state: 0x5EED))

    /// Sockets open now.
    var count: Int { sessions.withLock { $0.count } }

    /// Answers `GET /ws`: a 101 and the session, or aiohttp's 400 for a
    /// request that is no websocket handshake.
    ///
    /// - Parameter greeting: the messages a new socket gets first (its
    ///   `sid` given): `status`, and `executing` when its prompt runs now.
    func upgrade(_ request: HTTPRequest, clientID: String?, greeting: @escaping @Sendable (String) -> [(String, JSON)]) -> HTTPReply {
        guard request.header("upgrade")?.lowercased() == "websocket", let key = request.header("sec-websocket-key"), !key.isEmpty else {
            return .response(.text("No WebSocket UPGRADE hdr: \(request.header("upgrade") ?? "None")\n Can \"Upgrade\" only to \"WebSocket\".", status: .badRequest))
        }
        guard request.header("sec-websocket-version") == "13" else {
            return .response(.text("Unsupported version: \(request.header("sec-websocket-version") ?? "None")", status: .badRequest))
        }
        let sid = clientID.flatMap { $0.isEmpty ? nil : $0 } ?? anonymous.withLock { random in
            (0..<2).map { _ in String(random.next(), radix: 16) }.joined()
        }
        let response = HTTPResponse(
            status: .switchingProtocols,
            headers: [("Upgrade", "websocket"), ("Connection", "upgrade"), ("Sec-WebSocket-Accept", WebSocketHandshake.accept(forKey: key))]
        )
        return .upgrade(response) { [self] connection in
            let session = Session(connection)
            sessions.withLock { $0[sid] = session }
            for (type, data) in greeting(sid) { Self.write(type, data, to: session) }
            await Self.serve(session)
            sessions.withLock { if $0[sid] === session { $0[sid] = nil } }
        }
    }

    /// Sends one message to client `sid`, or to every socket when nil.
    func send(_ type: String, _ data: JSON, to sid: String?) {
        let targets = sessions.withLock { all in sid.map { all[$0].map { [$0] } ?? [] } ?? Array(all.values) }
        for session in targets { Self.write(type, data, to: session) }
    }

    private static func write(_ type: String, _ data: JSON, to session: Session) {
        let text = JSONSerializer.serialize(["type": .string(type), "data": data])
        session.connection.send(WebSocketFrame(opcode: .text, payload: text).encoded())
    }

    /// Reads the client's frames until it closes: pings answered, a close
    /// echoed, anything else passed over; a frame RFC 6455 forbids closes
    /// the socket with 1002 (1009 for one too large).
    private static func serve(_ session: Session) async {
        var parser = WebSocketFrameParser(maximumPayloadBytes: maximumFrameBytes, expectsMasked: true)
        var assembler = WebSocketMessageAssembler(maximumMessageBytes: maximumFrameBytes)
        for await bytes in session.connection.input {
            parser.append(bytes)
            do {
                while let frame = try parser.nextFrame() {
                    switch try assembler.take(frame) {
                    case .ping(let payload): session.connection.send(WebSocketFrame(opcode: .pong, payload: payload).encoded())
                    case .close(let code, _):
                        session.connection.send(WebSocketFrame.close(code: code).encoded())
                        return
                    default: continue
                    }
                }
            } catch {
                let code: UInt16 = error.kind == .tooLarge ? 1009 : 1002
                session.connection.send(WebSocketFrame.close(code: code, reason: error.message).encoded())
                return
            }
        }
    }
}
