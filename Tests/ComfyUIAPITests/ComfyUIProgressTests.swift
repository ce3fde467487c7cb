import Backends
import ComfyUIAPI
import HTTPServer
import JSON
import Posix
import Testing
import TestSupport
import WebSocket

/// Progress from ComfyUI's websocket: the messages read as main.py and
/// comfy_execution/progress.py send them, and the socket kept for the
/// prompts followed (opened lazily, opened again when it drops).
@Suite struct ComfyUIProgressTests {
    static func message(_ type: String, _ data: JSON) -> String {
        JSON.object(["type": .string(type), "data": data]).description
    }

    static func progress(_ value: Int, of max: Int, prompt: String? = "p", node: String = "3") -> String {
        var data: JSONObject = ["value": .number(JSONNumber(value)), "max": .number(JSONNumber(max)), "node": .string(node)]
        if let prompt { data["prompt_id"] = .string(prompt) }
        return message("progress", .object(data))
    }

    @Test func stepsOfTheSamplersMakeTheFraction() {
        var tracker = ComfyUIProgressTracker()
        let start = MonotonicInstant.now()
        tracker.take(Self.message("execution_start", ["prompt_id": "p"]), at: start)
        tracker.take(Self.message("executing", ["node": "4", "prompt_id": "p"]), at: start)
        #expect(tracker.progress(of: "p") == nil, "nothing counted yet")
        // Loaders count 0 of 1: not steps.
        tracker.take(Self.message("progress_state", ["prompt_id": "p", "nodes": ["4": ["value": 1, "max": 1, "state": "finished"]]]), at: start)
        #expect(tracker.progress(of: "p") == nil)
        tracker.take(Self.progress(5, of: 20), at: start)
        #expect(tracker.progress(of: "p")?.fraction == 0.25)
        #expect(tracker.progress(of: "p")?.remaining == nil, "one count: no pace yet")
        tracker.take(Self.progress(10, of: 20), at: start.advanced(by: .seconds(1)))
        let half = tracker.progress(of: "p")
        #expect(half?.fraction == 0.5)
        // Five steps a second: ten left are two seconds.
        #expect(half?.remaining == .seconds(2))
        // progress_state with a second sampler: its steps join the whole.
        tracker.take(
            Self.message(
                "progress_state", ["prompt_id": "p", "nodes": ["3": ["value": 20, "max": 20, "state": "finished"], "10": ["value": 0, "max": 20, "state": "running"]]]
            ), at: start.advanced(by: .seconds(3))
        )
        #expect(tracker.progress(of: "p")?.fraction == 0.5)
        tracker.take(Self.message("executing", ["node": nil, "prompt_id": "p"]))
        #expect(tracker.progress(of: "p") == GenerationProgress(fraction: 1, remaining: .zero))
    }

    @Test func olderServersAndOtherPromptsAndJunk() {
        var tracker = ComfyUIProgressTracker()
        // Servers before prompt_id was in `progress`: the running prompt's.
        tracker.take(Self.message("executing", ["node": "3", "prompt_id": "p"]))
        tracker.take(Self.progress(1, of: 4, prompt: nil))
        #expect(tracker.progress(of: "p")?.fraction == 0.25)
        tracker.take(Self.progress(3, of: 4, prompt: "q"))
        #expect(tracker.progress(of: "p")?.fraction == 0.25, "another prompt's steps are its own")
        #expect(tracker.progress(of: "q")?.fraction == 0.75)
        tracker.keep(["p"])
        #expect(tracker.progress(of: "q") == nil)
        for junk in ["", "[]", "{\"type\":\"progress\"}", Self.message("progress", ["value": "x", "max": 4, "node": "3", "prompt_id": "p"]), "{\"type\":1}"] {
            tracker.take(junk)
        }
        #expect(tracker.progress(of: "p")?.fraction == 0.25)
        tracker.take(Self.message("execution_error", ["prompt_id": "p", "node_id": "3"]))
        #expect(tracker.progress(of: "p") == nil, "a failed prompt reports no progress; polling says why")
    }

    /// A scripted ComfyUI websocket: each connection gets the next script's messages.
    final class FakeSocket: Sendable {
        let server: HTTPServer
        let connections = Lock(0)
        let clientIDs = Lock<[String]>([])

        init(_ scripts: [[String]], thenClose: Bool) throws {
            let connections = self.connections
            let clientIDs = self.clientIDs
            server = try HTTPServer { request in
                guard request.path == "/ws", let key = request.header("sec-websocket-key") else { return .response(.text("404: Not Found", status: .notFound)) }
                clientIDs.withLock { $0.append(String(request.target.split(separator: "=").last ?? "")) }
                let number = connections.withLock { count -> Int in
                    count += 1
                    return count - 1
                }
                let response = HTTPResponse(
                    status: .switchingProtocols,
                    headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", WebSocketHandshake.accept(forKey: key))]
                )
                return .upgrade(response) { connection in
                    for text in number < scripts.count ? scripts[number] : [] {
                        connection.send(WebSocketFrame(opcode: .text, payload: Array(text.utf8)).encoded())
                    }
                    if thenClose, number < scripts.count - 1 { return }
                    for await _ in connection.input {}
                }
            }
            try server.start()
        }
    }

    /// Waits (off the pool) until `events` reports what `done` wants.
    static func waitFor(_ events: ComfyUIEvents, _ done: @escaping @Sendable (GenerationProgress?) -> Bool) async throws -> GenerationProgress? {
        try await offPool {
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
            while !done(events.progress()), MonotonicInstant.now() < deadline { pauseBriefly() }
            return events.progress()
        }
    }

    @Test func theSocketOpensWhenAPromptIsFollowedAndOpensAgainWhenItDrops() async throws {
        let fake = try FakeSocket([[Self.progress(2, of: 8)], [Self.progress(6, of: 8)]], thenClose: true)
        defer { fake.server.stop() }
        let events = ComfyUIEvents(baseURL: fake.server.baseURL, clientID: "visioncraft", configuration: .init(connectTimeout: TestTime.scaled(.seconds(30)), initialBackoff: .milliseconds(20)))
        #expect(events.url == "ws://127.0.0.1:\(fake.server.port)/ws?clientId=visioncraft")
        #expect(fake.connections.withLock { $0 } == 0, "no socket before a prompt is followed")
        events.follow("p")
        let seen = try await Self.waitFor(events) { $0?.fraction == 0.75 }
        #expect(seen?.fraction == 0.75, "the second socket's count, after the first dropped")
        #expect(fake.connections.withLock { $0 } == 2)
        #expect(fake.clientIDs.withLock { $0 }.allSatisfy { $0 == "visioncraft" })
        events.follow("q")
        #expect(events.progress() == nil, "two prompts followed: which job asks is not known")
        events.release("q")
        events.release("p")
        #expect(events.progress() == nil)
    }

    @Test func noSocketMeansNoProgressAndNoFailure() async throws {
        // Bound, never listening: no other test's server can take it meanwhile.
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let events = ComfyUIEvents(baseURL: "http://127.0.0.1:\(port)", clientID: "visioncraft", configuration: .init(initialBackoff: .milliseconds(10), linger: .zero))
        events.follow("p")
        let failure = try await offPool { () -> String? in
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
            while events.lastFailure == nil, MonotonicInstant.now() < deadline { pauseBriefly() }
            return events.lastFailure
        }
        #expect(failure?.contains("cannot connect") == true, "\(failure ?? "none")")
        #expect(events.progress() == nil)
        events.release("p")
        // No TLS library: an https server's progress is not read at all.
        let secure = ComfyUIEvents(baseURL: "https://comfy.example", clientID: "visioncraft")
        #expect(secure.url == nil)
        secure.follow("p")
        #expect(secure.progress() == nil && !secure.isConnected)
        secure.release("p")
    }
}
