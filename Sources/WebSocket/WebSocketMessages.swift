/// A whole websocket message, or a control frame the other side must
/// see answered.
package enum WebSocketEvent: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
    /// Answer with a pong carrying the same payload (section 5.5.2).
    case ping([UInt8])
    case pong([UInt8])
    /// The peer's close frame: its code and reason, when it gave them.
    case close(code: UInt16?, reason: String)
}

/// Joins fragmented data frames into messages (section 5.4), letting
/// control frames through between fragments, and checks that a text
/// message is UTF-8 and that no message outgrows `maximumMessageBytes`.
package struct WebSocketMessageAssembler: Sendable {
    package let maximumMessageBytes: Int
    private var fragments: (opcode: WebSocketFrame.Opcode, payload: [UInt8])?

    package init(maximumMessageBytes: Int) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    /// What `frame` completes, or nil when it was a fragment of a message still open.
    package mutating func take(_ frame: WebSocketFrame) throws(WebSocketError) -> WebSocketEvent? {
        switch frame.opcode {
        case .ping: return .ping(frame.payload)
        case .pong: return .pong(frame.payload)
        case .close:
            guard frame.payload.count != 1 else { throw WebSocketError(.protocolViolation, "a websocket close frame has a 1-byte payload") }
            guard frame.payload.count >= 2 else { return .close(code: nil, reason: "") }
            let code = UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1])
            return .close(code: code, reason: String(decoding: frame.payload.dropFirst(2), as: UTF8.self))
        case .text, .binary:
            guard fragments == nil else { throw WebSocketError(.protocolViolation, "a websocket message began inside another, fragmented one") }
            if frame.fin { return try message(frame.opcode, frame.payload) }
            fragments = (frame.opcode, frame.payload)
            return nil
        case .continuation:
            guard var open = fragments else { throw WebSocketError(.protocolViolation, "a websocket continuation frame came with no message open") }
            guard open.payload.count + frame.payload.count <= maximumMessageBytes else {
                throw WebSocketError(.tooLarge, "a websocket message is over the limit of \(maximumMessageBytes) bytes")
            }
            open.payload += frame.payload
            guard frame.fin else {
                fragments = open
                return nil
            }
            fragments = nil
            return try message(open.opcode, open.payload)
        }
    }

    private func message(_ opcode: WebSocketFrame.Opcode, _ payload: [UInt8]) throws(WebSocketError) -> WebSocketEvent {
        guard payload.count <= maximumMessageBytes else {
            throw WebSocketError(.tooLarge, "a websocket message is over the limit of \(maximumMessageBytes) bytes")
        }
        guard opcode == .text else { return .binary(payload) }
        // Decoding replaces what is not UTF-8, so the bytes differ then
        // (String(validating:) needs macOS 15).
        let text = String(decoding: payload, as: UTF8.self)
        guard text.utf8.elementsEqual(payload) else {
            throw WebSocketError(.protocolViolation, "a websocket text message is not UTF-8")
        }
        return .text(text)
    }
}
