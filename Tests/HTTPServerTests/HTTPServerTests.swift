import HTTPServer
import JSON
import Posix
import Synchronization
import Testing
import TestSupport

/// A server with a small router for tests.
func makeServer(limits: HTTPRequestParser.Limits = .init(maximumBodyBytes: 1000)) throws -> HTTPServer {
    let server = try HTTPServer(configuration: .init(limits: limits)) { request in
        switch request.path {
        case "/slow":
            try? await Task.sleep(for: .milliseconds(200))
            return .response(.text("slow\n"))
        case "/echo":
            return .response(HTTPResponse(status: .ok, body: request.body + [0x0A]))
        case "/reset":
            return .resetConnection
        case "/truncated":
            return .truncated(.text(String(repeating: "x", count: 99) + "\n"), bodyBytes: 10)
        case "/throttled":
            return .throttled(.text("abcdefghi\n"), chunkBytes: 2, interval: .milliseconds(20))
        case "/json":
            return .response(.json(["ok": true]))
        default:
            return .response(.text("not found\n", status: .notFound))
        }
    }
    try server.start()
    return server
}

@Suite struct HTTPServerTests {
    @Test func answersAndKeepsTheConnection() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let (first, second) = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = try client.readResponse()
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            return (first, try client.readResponse())
        }
        #expect(first.status == 200)
        #expect(first.header("content-type") == "application/json")
        #expect(first.body == Array(#"{"ok":true}"#.utf8))
        #expect(second.status == 200)
        #expect(second.body == Array("hello\n".utf8))
        #expect(second.header("connection") == nil, "keep-alive is the HTTP/1.1 default")
    }

    @Test func pipelinedRepliesKeepTheRequestOrder() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let bodies = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nfast")
            return [try client.readResponse().body, try client.readResponse().body]
        }
        #expect(bodies == [Array("slow\n".utf8), Array("fast\n".utf8)])
    }

    @Test func connectionCloseIsHonoured() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let (response, closed) = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n")
            return (try client.readResponse(), try client.connection.isClosedByServer())
        }
        #expect(response.header("connection") == "close")
        #expect(closed, "nothing after Connection: close is answered")
    }

    @Test func http10ClosesByDefault() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let closed = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /json HTTP/1.0\r\n\r\n")
            _ = try client.readResponse()
            return try client.connection.isClosedByServer()
        }
        #expect(closed)
    }

    @Test func malformedRequestsGet400AndOnlyTheirConnectionCloses() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let (bad, closed, good) = try await offPool {
            let other = try RawHTTPClient(port: server.port)
            let client = try RawHTTPClient(port: server.port)
            try client.send("GARBAGE\r\n\r\n")
            let bad = try client.readResponse()
            let closed = try client.connection.isClosedByServer()
            try other.send("GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
            return (bad, closed, try other.readResponse())
        }
        #expect(bad.status == 400)
        #expect(bad.header("connection") == "close")
        #expect(closed)
        #expect(good.status == 200)
    }

    @Test func anOversizedBodyIs413() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
            return try client.readResponse()
        }
        #expect(response.status == 413)
    }

    @Test func headGetsNoBody() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let (head, next) = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("HEAD /json HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            return (try client.readResponse(headOnly: true), try client.readResponse())
        }
        #expect(head.status == 200)
        #expect(head.header("content-length") == "11")
        #expect(next.status == 404, "the next response starts right after the head")
    }

    @Test func injectedResetClosesAbruptly() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let outcome = try await offPool { () -> String in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /reset HTTP/1.1\r\nHost: x\r\n\r\n")
            do {
                let bytes = try client.connection.readToEndOfFile()
                return bytes.isEmpty ? "eof" : "data"
            } catch let error as SystemError {
                return error.code == 104 ? "reset" : "\(error)"
            }
        }
        #expect(outcome == "reset" || outcome == "eof", "\(outcome)")
    }

    @Test func injectedTruncationSendsPartOfTheBody() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let received = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /truncated HTTP/1.1\r\nHost: x\r\n\r\n")
            return String(decoding: try client.connection.readToEndOfFile(), as: UTF8.self)
        }
        #expect(received.contains("Content-Length: 100\r\n"))
        #expect(received.hasSuffix("\r\n\r\n" + String(repeating: "x", count: 10)))
    }

    @Test func injectedThrottlingStillDeliversTheWholeBodyInOrder() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let (slow, after, elapsed) = try await offPool {
            let client = try RawHTTPClient(port: server.port)
            let started = MonotonicInstant.now()
            try client.send("GET /throttled HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n")
            let slow = try client.readResponse()
            return (slow, try client.readResponse(), started.elapsed)
        }
        #expect(slow.body == Array("abcdefghi\n".utf8))
        #expect(after.status == 200, "the reply behind it waited its turn")
        #expect(elapsed >= .milliseconds(80), "5 chunks 20 ms apart")
    }

    @Test func manyClientsAtOnce() async throws {
        let server = try makeServer()
        defer { server.stop() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await offPool {
                        let client = try RawHTTPClient(port: server.port)
                        for round in 0..<10 {
                            let text = "c\(index)r\(round)"
                            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)")
                            let response = try client.readResponse()
                            guard response.body == Array(text.utf8) + [0x0A] else { throw TestFailure("client \(index) got \(response.body)") }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
