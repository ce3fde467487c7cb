import Testing
import WebSocket

/// RFC 6455 frames, messages and the handshake's accept value.
@Suite struct WebSocketFrameTests {
    static let mask: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

    static func parse(_ bytes: [UInt8], masked: Bool, limit: Int = 1 << 20) throws -> [WebSocketFrame] {
        var parser = WebSocketFrameParser(maximumPayloadBytes: limit, expectsMasked: masked)
        parser.append(bytes)
        var frames: [WebSocketFrame] = []
        while let frame = try parser.nextFrame() { frames.append(frame) }
        return frames
    }

    /// Section 5.7's examples, byte for byte.
    @Test func theRFCExamples() throws {
        let hello = WebSocketFrame(opcode: .text, payload: Array("Hello".utf8))
        #expect(hello.encoded() == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(hello.encoded(mask: Self.mask) == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(try Self.parse([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58], masked: true) == [hello])
        // A fragmented unmasked text message: "Hel", then "lo".
        var assembler = WebSocketMessageAssembler(maximumMessageBytes: 100)
        let fragments = try Self.parse([0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F], masked: false)
        #expect(fragments.count == 2)
        #expect(try assembler.take(fragments[0]) == nil)
        #expect(try assembler.take(fragments[1]) == .text("Hello"))
        // 256 bytes: a 16-bit length; 65536: a 64-bit one.
        #expect(Array(WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 7, count: 256)).encoded().prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        let big = WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 7, count: 65536))
        #expect(Array(big.encoded().prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    @Test func lengthsRoundTripMaskedAndSplitAnywhere() throws {
        for count in [0, 1, 125, 126, 127, 65535, 65536, 70000] {
            let frame = WebSocketFrame(opcode: .binary, payload: (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7) })
            let bytes = frame.encoded(mask: Self.mask)
            #expect(try Self.parse(bytes, masked: true) == [frame], "\(count) bytes")
            #expect(try Self.parse(frame.encoded(), masked: false) == [frame], "\(count) bytes unmasked")
        }
        // One byte at a time, as a slow socket gives them.
        let frame = WebSocketFrame(opcode: .text, payload: Array(String(repeating: "ab", count: 200).utf8))
        var parser = WebSocketFrameParser(maximumPayloadBytes: 1000, expectsMasked: true)
        var seen: [WebSocketFrame] = []
        for byte in frame.encoded(mask: Self.mask) {
            parser.append([byte])
            if let got = try parser.nextFrame() { seen.append(got) }
        }
        #expect(seen == [frame])
    }

    @Test func controlFramesBetweenFragments() throws {
        var assembler = WebSocketMessageAssembler(maximumMessageBytes: 100)
        #expect(try assembler.take(WebSocketFrame(fin: false, opcode: .binary, payload: [1])) == nil)
        #expect(try assembler.take(WebSocketFrame(opcode: .ping, payload: [9])) == .ping([9]))
        #expect(try assembler.take(WebSocketFrame(fin: false, opcode: .continuation, payload: [2])) == nil)
        #expect(try assembler.take(WebSocketFrame(opcode: .continuation, payload: [3])) == .binary([1, 2, 3]))
        #expect(try assembler.take(.close(code: 1001, reason: "going away")) == .close(code: 1001, reason: "going away"))
        #expect(try assembler.take(WebSocketFrame(opcode: .close, payload: [])) == .close(code: nil, reason: ""))
    }

    @Test func whatRFC6455ForbidsIsRefused() throws {
        func refused(_ bytes: [UInt8], masked: Bool = false, limit: Int = 1000) -> WebSocketError.Kind? {
            do {
                _ = try Self.parse(bytes, masked: masked, limit: limit)
                return nil
            } catch {
                return (error as? WebSocketError)?.kind
            }
        }
        #expect(refused([0xC1, 0x00]) == .protocolViolation, "a reserved bit")
        #expect(refused([0x83, 0x00]) == .protocolViolation, "a reserved opcode")
        #expect(refused([0x09, 0x00]) == .protocolViolation, "a fragmented ping")
        #expect(refused([0x89, 0x7E, 0x00, 0x7E] + [UInt8](repeating: 0, count: 126)) == .protocolViolation, "a ping over 125 bytes")
        #expect(refused([0x81, 0x80, 1, 2, 3, 4]) == .protocolViolation, "a server's frame masked")
        #expect(refused([0x81, 0x00], masked: true) == .protocolViolation, "a client's frame unmasked")
        // Refused from its length alone, before the payload is there.
        #expect(refused([0x82, 0x7F, 0, 0, 0, 1, 0, 0, 0, 0]) == .tooLarge, "a 4 GiB frame")
        #expect(refused([0x82, 0x7E, 0x03, 0xE9]) == .tooLarge, "1001 bytes over a limit of 1000")
        var assembler = WebSocketMessageAssembler(maximumMessageBytes: 4)
        #expect(throws: WebSocketError.self) { try assembler.take(WebSocketFrame(opcode: .continuation, payload: [1])) }
        _ = try assembler.take(WebSocketFrame(fin: false, opcode: .binary, payload: [1, 2, 3]))
        #expect(throws: WebSocketError.self, "fragments over the message limit") {
            try assembler.take(WebSocketFrame(opcode: .continuation, payload: [4, 5]))
        }
        var text = WebSocketMessageAssembler(maximumMessageBytes: 10)
        #expect(throws: WebSocketError.self, "text that is not UTF-8") { try text.take(WebSocketFrame(opcode: .text, payload: [0xFF, 0xFE])) }
    }

    @Test func sha1AndTheAcceptValue() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        // FIPS 180-2's examples.
        #expect(hex(SHA1.digest(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.digest([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex(SHA1.digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        // RFC 6455 section 1.3.
        #expect(WebSocketHandshake.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(WebSocketHandshake.randomKey().count == 24)
    }

    @Test func theHandshakeAnswerIsChecked() throws {
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        let good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        try WebSocketHandshake.check(responseHead: good, key: key)
        try WebSocketHandshake.check(responseHead: good.replacingAll("Upgrade\r", "keep-alive, upgrade\r"), key: key)
        func refusal(_ head: String) -> String {
            do {
                try WebSocketHandshake.check(responseHead: head, key: key)
                return ""
            } catch {
                return error.kind == .handshake ? error.message : "\(error.kind)"
            }
        }
        #expect(refusal(good.replacingAll("xOo=", "xOp=")).contains("Sec-WebSocket-Accept"), "a bad accept")
        #expect(refusal("HTTP/1.1 404 Not Found\r\nContent-Length: 0").contains("404 Not Found"))
        #expect(refusal(good.replacingAll("Upgrade: websocket", "Upgrade: h2c")).contains("Upgrade: websocket"))
    }

    @Test func wsURLs() {
        #expect(WebSocketClient.Address("ws://gpu-box:8188/ws?clientId=a") == .init(host: "gpu-box", port: 8188, target: "/ws?clientId=a"))
        #expect(WebSocketClient.Address("ws://127.0.0.1")?.port == 80)
        #expect(WebSocketClient.Address("ws://[::1]:9/x")?.host == "[::1]")
        #expect(WebSocketClient.Address("wss://host/ws") == nil)
        #expect(WebSocketClient.Address("http://host/ws") == nil)
        #expect(WebSocketClient.Address("ws://host:notaport/") == nil)
    }
}

extension String {
    func replacingAll(_ old: String, _ new: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: old) {
            result += rest[..<range.lowerBound] + new
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
