/// One RFC 6455 frame (section 5.2): FIN, the opcode and the payload,
/// unmasked. `encoded(mask:)` writes it; `WebSocketFrameParser` reads it.
package struct WebSocketFrame: Sendable, Equatable {
    package enum Opcode: UInt8, Sendable {
        case continuation = 0x0
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA

        /// Close, ping and pong: never fragmented, at most 125 bytes.
        package var isControl: Bool { rawValue & 0x8 != 0 }
    }

    package var fin: Bool
    package var opcode: Opcode
    package var payload: [UInt8]

    package init(fin: Bool = true, opcode: Opcode, payload: [UInt8]) {
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
    }

    /// A close frame: the status code (big-endian) then the reason, if any.
    package static func close(code: UInt16?, reason: String = "") -> WebSocketFrame {
        guard let code else { return WebSocketFrame(opcode: .close, payload: []) }
        return WebSocketFrame(opcode: .close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8.prefix(123)))
    }

    /// The frame on the wire: a client masks every frame with a fresh
    /// 4-byte key (section 5.3), a server never does (`mask` nil).
    package func encoded(mask: (UInt8, UInt8, UInt8, UInt8)? = nil) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode.rawValue]
        bytes.reserveCapacity(payload.count + 14)
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        switch payload.count {
        case 0...125: bytes.append(maskBit | UInt8(payload.count))
        case 126...0xFFFF:
            bytes.append(maskBit | 126)
            bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default:
            bytes.append(maskBit | 127)
            let length = UInt64(payload.count)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        }
        guard let mask else { return bytes + payload }
        let key = [mask.0, mask.1, mask.2, mask.3]
        bytes += key
        for (index, byte) in payload.enumerated() { bytes.append(byte ^ key[index & 3]) }
        return bytes
    }
}

/// Reads frames from bytes as they come (any split), unmasking them, and
/// refuses what RFC 6455 forbids: reserved bits or opcodes, a control frame
/// fragmented or over 125 bytes, a frame masked the wrong way for its
/// direction, or one larger than `maximumPayloadBytes`.
package struct WebSocketFrameParser: Sendable {
    /// The largest payload taken; a bigger frame is refused before it is read.
    package let maximumPayloadBytes: Int
    /// Whether frames must be masked (a server reading a client) or must
    /// not be (a client reading a server).
    package let expectsMasked: Bool
    private var buffer: [UInt8] = []
    private var start = 0

    package init(maximumPayloadBytes: Int, expectsMasked: Bool) {
        self.maximumPayloadBytes = maximumPayloadBytes
        self.expectsMasked = expectsMasked
    }

    package mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes read but not yet part of a frame.
    package var bufferedByteCount: Int { buffer.count - start }

    /// The next whole frame, or nil when more bytes are needed.
    package mutating func nextFrame() throws(WebSocketError) -> WebSocketFrame? {
        let available = buffer.count - start
        guard available >= 2 else { return nil }
        let first = buffer[start], second = buffer[start + 1]
        guard first & 0x70 == 0 else { throw WebSocketError(.protocolViolation, "a websocket frame set reserved bits (no extension was agreed)") }
        guard let opcode = WebSocketFrame.Opcode(rawValue: first & 0x0F) else {
            throw WebSocketError(.protocolViolation, "a websocket frame has the reserved opcode \(first & 0x0F)")
        }
        let fin = first & 0x80 != 0
        let masked = second & 0x80 != 0
        guard masked == expectsMasked else {
            throw WebSocketError(.protocolViolation, expectsMasked ? "a client sent an unmasked websocket frame" : "the server sent a masked websocket frame")
        }
        var offset = 2
        var length = UInt64(second & 0x7F)
        if length == 126 || length == 127 {
            let size = length == 126 ? 2 : 8
            guard available >= offset + size else { return nil }
            length = 0
            for index in 0..<size { length = length << 8 | UInt64(buffer[start + offset + index]) }
            offset += size
            guard length >> 63 == 0 else { throw WebSocketError(.protocolViolation, "a websocket frame's 64-bit length sets its top bit") }
        }
        if opcode.isControl {
            guard fin else { throw WebSocketError(.protocolViolation, "a websocket control frame (\(opcode)) is fragmented") }
            guard length <= 125 else { throw WebSocketError(.protocolViolation, "a websocket control frame (\(opcode)) is \(length) bytes, over 125") }
        }
        guard length <= UInt64(maximumPayloadBytes) else {
            throw WebSocketError(.tooLarge, "a websocket frame of \(length) bytes is over the limit of \(maximumPayloadBytes)")
        }
        var key: [UInt8] = []
        if masked {
            guard available >= offset + 4 else { return nil }
            key = Array(buffer[(start + offset)..<(start + offset + 4)])
            offset += 4
        }
        let count = Int(length)
        guard available >= offset + count else { return nil }
        var payload = Array(buffer[(start + offset)..<(start + offset + count)])
        if masked {
            for index in payload.indices { payload[index] ^= key[index & 3] }
        }
        start += offset + count
        return WebSocketFrame(fin: fin, opcode: opcode, payload: payload)
    }
}
