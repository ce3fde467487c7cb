import HTTPServer
import Posix
import Testing
import TestSupport

/// `HTTPReply.upgrade`: a 101, then the connection's bytes go to the
/// session both ways, bytes sent right behind the request included.
@Suite struct UpgradeTests {
    /// Upper-cases what it reads; "bye" ends the session.
    static func makeServer() throws -> HTTPServer {
        let server = try HTTPServer { request in
            guard request.path == "/shout" else { return .response(.text("plain\n")) }
            let response = HTTPResponse(status: .switchingProtocols, headers: [("Upgrade", "shout"), ("Connection", "Upgrade")])
            return .upgrade(response) { connection in
                for await bytes in connection.input {
                    let text = String(decoding: bytes, as: UTF8.self)
                    connection.send(Array(text.uppercased().utf8))
                    if text.contains("bye") { return }
                }
            }
        }
        try server.start()
        return server
    }

    @Test func theSessionGetsTheConnectionAfterThe101() async throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let (head, first, second, closed) = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            // The first bytes of the new protocol come with the request.
            try client.send("GET /shout HTTP/1.1\r\nHost: x\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nhello")
            var head: [String] = []
            while true {
                let line = try client.connection.readLine().filter { $0 != "\r" }
                if line.isEmpty { break }
                head.append(line)
            }
            let first = try client.connection.readExactly(5)
            try client.send("bye")
            let second = try client.connection.readExactly(3)
            return (head, first, second, try client.connection.isClosedByServer())
        }
        #expect(head.first == "HTTP/1.1 101 Switching Protocols")
        #expect(!head.contains { $0.lowercased().hasPrefix("content-length") }, "a 1xx has no Content-Length: \(head)")
        #expect(head.contains("Upgrade: shout"))
        #expect(first == Array("HELLO".utf8))
        #expect(second == Array("BYE".utf8))
        #expect(closed, "the connection closes when the session returns")
    }

    @Test func anUpgradeRequestAnsweredPlainlyClosesTheConnection() async throws {
        let server = try Self.makeServer()
        defer { server.stop() }
        let (response, closed) = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nnot http")
            return (try client.readResponse(), try client.connection.isClosedByServer())
        }
        #expect(response.status == 200)
        #expect(response.header("connection") == "close")
        #expect(closed, "what followed the request was never read as HTTP")
    }

    @Test func anUpgradeAnsweringAPlainRequestIsA500() async throws {
        let server = try HTTPServer { _ in .upgrade(HTTPResponse(status: .switchingProtocols)) { _ in } }
        try server.start()
        defer { server.stop() }
        let response = try await offPool { try RawHTTPClient(port: server.port).request("GET", "/") }
        #expect(response.status == 500)
    }
}
