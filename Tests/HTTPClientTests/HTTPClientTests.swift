import HTTPClient
import HTTPServer
import Posix
import Testing
import TestSupport

/// A server whose paths misbehave on purpose.
func makeTestServer() throws -> HTTPServer {
    let server = try HTTPServer { request in
        switch request.path {
        case "/hello": return .response(HTTPResponse(status: .ok, headers: [("X-Test", "yes")], body: Array("hello".utf8)))
        case "/echo": return .response(HTTPResponse(status: .ok, body: request.body + Array(request.method.utf8)))
        case "/missing": return .response(.text("no", status: .notFound))
        case "/slow":
            // Far longer than any bound below, so a loaded machine cannot
            // blur "gave up early" with "waited for the answer".
            try? await Task.sleep(for: TestTime.scaled(.seconds(60)))
            return .response(.text("late"))
        case "/reset": return .resetConnection
        case "/truncated": return .truncated(.text(String(repeating: "x", count: 1000)), bodyBytes: 100)
        case "/big": return .response(.text(String(repeating: "b", count: 10_000)))
        case "/trickle": return .throttled(.text(String(repeating: "t", count: 100)), chunkBytes: 1, interval: .milliseconds(500))
        default: return .response(.text("?", status: .notFound))
        }
    }
    try server.start()
    return server
}

/// The error kind of a failed request, or nil on success.
func failureKind(_ client: HTTPClient, _ request: HTTPClientRequest) async -> HTTPClientError.Kind? {
    do {
        _ = try await client.perform(request)
        return nil
    } catch {
        return error.kind
    }
}

@Suite struct HTTPClientTests {
    @Test func getsStatusHeadersAndBody() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        let response = try await client.perform(HTTPClientRequest(url: server.baseURL + "/hello"))
        #expect(response.status == 200)
        #expect(response.header("x-test") == "yes", "\(response.headers)")
        #expect(response.body == Array("hello".utf8))
        let missing = try await client.perform(HTTPClientRequest(url: server.baseURL + "/missing"))
        #expect(missing.status == 404, "a 404 is a response, not an error")
    }

    @Test func postsBodies() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        let body = Array(#"{"prompt":"x"}"#.utf8)
        let response = try await client.perform(HTTPClientRequest(method: "POST", url: server.baseURL + "/echo", headers: [("Content-Type", "application/json")], body: body))
        #expect(response.body == body + Array("POST".utf8))
        let empty = try await client.perform(HTTPClientRequest(method: "POST", url: server.baseURL + "/echo", body: []))
        #expect(empty.body == Array("POST".utf8))
    }

    @Test func refusedConnectionsAreCouldNotConnect() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let client = try HTTPClient()
        #expect(await failureKind(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/")) == .couldNotConnect)
    }

    @Test func slowAnswersTimeOut() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        let started = MonotonicInstant.now()
        let kind = await failureKind(client, HTTPClientRequest(url: server.baseURL + "/slow", timeouts: .init(total: .milliseconds(200))))
        #expect(kind == .timedOut)
        #expect(started.elapsed < TestTime.scaled(.seconds(30)), "the 200 ms limit, not the 60 s answer")
    }

    @Test func aTrickleBelowTheLowSpeedLimitIsAborted() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        let timeouts = HTTPClientRequest.Timeouts(lowSpeedBytesPerSecond: 100, lowSpeedTime: .seconds(1))
        #expect(await failureKind(client, HTTPClientRequest(url: server.baseURL + "/trickle", timeouts: timeouts)) == .timedOut)
    }

    @Test func resetsAndTruncationsAreConnectionLost() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        #expect(await failureKind(client, HTTPClientRequest(url: server.baseURL + "/reset")) == .connectionLost)
        #expect(await failureKind(client, HTTPClientRequest(url: server.baseURL + "/truncated")) == .connectionLost)
    }

    @Test func oversizedResponsesAreAborted() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        do {
            _ = try await client.perform(HTTPClientRequest(url: server.baseURL + "/big", maximumResponseBytes: 1000))
            Issue.record("a 10 kB body passed a 1 kB limit")
        } catch {
            #expect(error.kind == .responseTooLarge)
            #expect(error.message.contains("1000 bytes"))
        }
    }

    @Test func invalidURLsAreRefused() async throws {
        let client = try HTTPClient()
        #expect(await failureKind(client, HTTPClientRequest(url: "nosuchscheme://nowhere/")) == .invalidURL)
        #expect(await failureKind(client, HTTPClientRequest(url: "http://")) == .invalidURL)
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        let started = MonotonicInstant.now()
        let task = Task { await failureKind(client, HTTPClientRequest(url: server.baseURL + "/slow")) }
        // Cancel once the request is surely on the wire: the server sees it.
        let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(5)))
        while server.connectionCount == 0, MonotonicInstant.now() < deadline { await Task.yield() }
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(started.elapsed < TestTime.scaled(.seconds(30)), "cancelled before the 60 s answer")
    }

    @Test func manyRequestsAtOnceShareConnections() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<60 {
                group.addTask { try await client.perform(HTTPClientRequest(url: server.baseURL + "/hello")).status }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(server.connectionCount <= 8, "connections are reused (at most 8 per host)")
    }

    @Test func shutDownClientsCancelNewRequests() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        client.shutdown()
        #expect(await failureKind(client, HTTPClientRequest(url: server.baseURL + "/hello")) == .cancelled)
    }

    @Test func theThreadStartsWithTheFirstRequestOnly() async throws {
        let server = try makeTestServer()
        defer { server.stop() }
        let client = try HTTPClient()
        #expect(!client.isStarted, "an unused client costs no thread")
        _ = try await client.perform(HTTPClientRequest(url: server.baseURL + "/hello"))
        #expect(client.isStarted)
        client.shutdown()
        #expect(!client.isStarted)
        #expect(await failureKind(client, HTTPClientRequest(url: server.baseURL + "/hello")) == .cancelled)
    }
}
