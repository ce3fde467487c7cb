import HTTPServer
import Posix
import Synchronization
import Testing
import TestSupport
import WebSocket

/// The client against live servers: one of ours (HTTPServer's upgrade,
/// scripted per test), and Python's `websockets`, a peer we did not write.
@Suite struct WebSocketClientTests {
    /// A websocket server that runs `script` on each connection (after
    /// the handshake, with `accept` as the answer's accept value).
    static func server(
        accept: @escaping @Sendable (String) -> String = { WebSocketHandshake.accept(forKey: $0) },
        _ script: @escaping @Sendable (UpgradedConnection, inout WebSocketFrameParser) async -> Void
    ) throws -> HTTPServer {
        let server = try HTTPServer { request in
            let key = request.header("sec-websocket-key") ?? ""
            let response = HTTPResponse(
                status: .switchingProtocols, headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept(key))]
            )
            return .upgrade(response) { connection in
                var parser = WebSocketFrameParser(maximumPayloadBytes: 1 << 20, expectsMasked: true)
                await script(connection, &parser)
            }
        }
        try server.start()
        return server
    }

    /// What `body` threw (nil when it did not, or threw something else).
    static func failure(_ body: () throws -> Void) -> WebSocketError? {
        do {
            try body()
            return nil
        } catch {
            return error as? WebSocketError
        }
    }

    /// The next frame the client sends.
    static func nextFrame(_ connection: UpgradedConnection, _ parser: inout WebSocketFrameParser) async -> WebSocketFrame? {
        if let frame = try? parser.nextFrame() { return frame }
        for await bytes in connection.input {
            parser.append(bytes)
            if let frame = try? parser.nextFrame() { return frame }
        }
        return nil
    }

    @Test func echoesAnswersPingsJoinsFragmentsAndSeesTheClose() async throws {
        let pong = Mutex<[UInt8]?>(nil)
        let server = try Self.server { connection, parser in
            guard let hello = await Self.nextFrame(connection, &parser) else { return }
            connection.send(WebSocketFrame(opcode: .ping, payload: [1, 2]).encoded())
            if let answer = await Self.nextFrame(connection, &parser), answer.opcode == .pong { pong.withLock { $0 = answer.payload } }
            connection.send(WebSocketFrame(opcode: .text, payload: hello.payload.map { $0 ^ 0x20 }).encoded())
            connection.send(WebSocketFrame(fin: false, opcode: .binary, payload: [1]).encoded() + WebSocketFrame(opcode: .continuation, payload: [2]).encoded())
            connection.send(WebSocketFrame.close(code: 4000, reason: "done").encoded())
            _ = await Self.nextFrame(connection, &parser)
        }
        defer { server.stop() }
        let (echo, joined, closing) = try await offPool { () -> (WebSocketEvent, WebSocketEvent, WebSocketError?) in
            let client = try WebSocketClient.connect("ws://127.0.0.1:\(server.port)/ws?clientId=x", timeout: TestTime.scaled(.seconds(30)))
            try client.send(text: "hello")
            let echo = try client.receive()
            let joined = try client.receive()
            return (echo, joined, Self.failure { _ = try client.receive() })
        }
        #expect(echo == .text("HELLO"))
        #expect(joined == .binary([1, 2]))
        #expect(pong.withLock { $0 } == [1, 2], "the ping was answered with its payload")
        #expect(closing?.kind == .closed(code: 4000))
        #expect(closing?.message.contains("done") == true)
    }

    @Test func aWrongAcceptIsRefused() async throws {
        let server = try Self.server(accept: { _ in "s3pPLMBiTxaQ9kYGzzhZxOo+xbo=" }) { _, _ in }
        defer { server.stop() }
        let error = try await offPool { Self.failure { _ = try WebSocketClient.connect("ws://127.0.0.1:\(server.port)/", timeout: TestTime.scaled(.seconds(30))) } }
        #expect(error?.kind == .handshake)
        #expect(error?.message.contains("Sec-WebSocket-Accept") == true, "\(String(describing: error))")
    }

    @Test func anOversizedFrameIsRefusedAndAServerWithoutWebsocketsToo() async throws {
        let server = try Self.server { connection, parser in
            connection.send(WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 0, count: 2000)).encoded())
            _ = await Self.nextFrame(connection, &parser)
        }
        defer { server.stop() }
        let plain = try HTTPServer { _ in .response(.text("404: Not Found", status: .notFound)) }
        try plain.start()
        defer { plain.stop() }
        // Bound, never listening: no other test's server can take it meanwhile.
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let refusedPort = refusing.port
        let kinds = try await offPool { () -> [WebSocketError.Kind?] in
            func failure(_ body: () throws -> Void) -> WebSocketError.Kind? { Self.failure(body)?.kind }
            return [
                failure { _ = try WebSocketClient.connect("ws://127.0.0.1:\(server.port)/", timeout: TestTime.scaled(.seconds(30)), maximumMessageBytes: 1000).receive() },
                failure { _ = try WebSocketClient.connect("ws://127.0.0.1:\(plain.port)/ws", timeout: TestTime.scaled(.seconds(30))) },
                failure { _ = try WebSocketClient.connect("ws://127.0.0.1:\(refusedPort)/ws", timeout: TestTime.scaled(.seconds(30))) },
                failure { _ = try WebSocketClient.connect("wss://127.0.0.1/ws", timeout: TestTime.scaled(.seconds(30))) },
            ]
        }
        #expect(kinds == [.tooLarge, .handshake, .connection, .unsupportedURL])
    }

    @Test func shutdownFromAnotherThreadEndsABlockedReceive() async throws {
        let server = try Self.server { connection, parser in _ = await Self.nextFrame(connection, &parser) }
        defer { server.stop() }
        let client = try await offPool { try WebSocketClient.connect("ws://127.0.0.1:\(server.port)/", timeout: TestTime.scaled(.seconds(30))) }
        async let ended = offPool { Self.failure { _ = try client.receive() }?.kind }
        try await Task.sleep(for: .milliseconds(50))
        client.close()
        #expect(try await ended == .closed(code: nil))
    }

    /// Python's `websockets` (Debian's python3-websockets, which
    /// `.ci/install-packages --tests` installs) as the server: it checks
    /// our handshake and masking, pings us, fragments a message and closes.
    @Test func againstPythonWebsockets() async throws {
        guard let python = try await offPool({ Self.pythonWithWebsockets() }) else {
            Issue.record("no python3 with the websockets package: .ci/install-packages --tests installs python3-websockets")
            return
        }
        let script = """
            import asyncio, sys, websockets
            async def handler(ws, path=None):
                async for message in ws:
                    if message == "ping me":
                        await asyncio.wait_for(await ws.ping(b"abc"), 5)
                        await ws.send("pong seen")
                    elif message == "fragments":
                        await ws.send(["frag", "ment", "ed"])
                    elif message == "close":
                        await ws.close(4001, "bye")
                    else:
                        await ws.send("echo " + message)
            async def main():
                async with websockets.serve(handler, "127.0.0.1", 0, max_size=1 << 16) as server:
                    print(server.sockets[0].getsockname()[1], flush=True)
                    await asyncio.sleep(60)
            asyncio.run(main())
            """
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: python, arguments: ["-c", script])
        options.standardOutput = .descriptor(output.write)
        let child = try ChildProcess.spawn(options)
        try output.write.close()
        // The line client owns the pipe's read end from now on.
        let lines = LineClient(descriptor: output.read)
        defer {
            child.send(.kill)
            _ = try? child.wait()
        }
        let events = try await offPool { () -> [String] in
            let line = try lines.readLine()
            guard let port = UInt16(line) else { throw TestFailure("the python server printed \(line)") }
            let client = try WebSocketClient.connect("ws://127.0.0.1:\(port)/", timeout: TestTime.scaled(.seconds(30)))
            var seen: [String] = []
            for message in ["hi", "ping me", "fragments"] {
                try client.send(text: message)
                if case .text(let text) = try client.receive() { seen.append(text) }
            }
            try client.send(text: "close")
            seen.append(Self.failure { _ = try client.receive() }.map { "\($0.kind)" } ?? "not closed")
            return seen
        }
        #expect(events == ["echo hi", "pong seen", "fragmented", "closed(code: Optional(4001))"])
    }

    static func pythonWithWebsockets() -> String? {
        let candidates = [ProcessEnvironment.findExecutable(named: "python3"), "/usr/bin/python3"].compactMap { $0 }
        return candidates.first { path in
            var options = ChildProcess.Options(executable: path, arguments: ["-c", "import websockets"])
            options.standardError = .null
            guard let child = try? ChildProcess.spawn(options) else { return false }
            return (try? child.wait()) == .exited(0)
        }
    }
}
