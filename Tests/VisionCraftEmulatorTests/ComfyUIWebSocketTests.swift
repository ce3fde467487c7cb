import JSON
import Posix
import Testing
import TestSupport
import VisionCraftEmulator
import WebSocket

/// The ComfyUI emulator's `/ws?clientId=`: the messages of a running
/// prompt, in the order and shapes ComfyUI sends them.
@Suite struct ComfyUIWebSocketTests {
    /// Reads messages (type, data) until `executing` with `node: null` for `id`'s prompt.
    static func messages(_ client: WebSocketClient, until done: (String, JSON) -> Bool) throws -> [(String, JSON)] {
        var seen: [(String, JSON)] = []
        let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
        while MonotonicInstant.now() < deadline {
            guard case .text(let text)? = try client.receive(timeout: .seconds(1)) else { continue }
            let message = try JSONParser.parse(Array(text.utf8))
            let entry = (message["type"]?.stringValue ?? "", message["data"] ?? nil)
            seen.append(entry)
            if done(entry.0, entry.1) { return seen }
        }
        throw TestFailure("no end of the prompt in \(seen.map(\.0))")
    }

    @Test func aRunningPromptIsToldStepByStepToItsClient() async throws {
        let emulator = try startComfyUI(.init(stepDuration: .milliseconds(5)))
        defer { emulator.stop() }
        let (seen, id, history) = try await offPool { () -> ([(String, JSON)], String, JSON) in
            let client = try WebSocketClient.connect("ws://127.0.0.1:\(emulator.port)/ws?clientId=tests", timeout: TestTime.scaled(.seconds(30)))
            defer { client.close() }
            guard case .text(let greeting) = try client.receive() else { throw TestFailure("no greeting") }
            let status = try JSONParser.parse(Array(greeting.utf8))
            #expect(status["type"] == "status")
            #expect(status["data"]?["sid"] == "tests")
            #expect(status["data"]?["status"]?["exec_info"]?["queue_remaining"] == 0)
            let id = try #require(try json(comfyQueue(emulator.port, comfyGraph()))["prompt_id"]?.stringValue)
            let seen = try Self.messages(client) { type, data in type == "executing" && data["node"]?.isNull == true }
            // Written before `executing` null, as main.py's prompt_worker does.
            return (seen, id, try json(RawHTTPClient(port: emulator.port).request("GET", "/history/\(id)")))
        }
        #expect(history[id]?["status"]?["completed"] == true)
        let types = seen.map(\.0).filter { $0 != "progress_state" && $0 != "status" }
        #expect(
            types == ["execution_start", "execution_cached"] + ["4", "6", "7", "5", "3"].map { _ in "executing" } + Array(repeating: "progress", count: 4)
                + ["executing", "executing", "executed", "execution_success", "executing"],
            "\(types)"
        )
        let executing = seen.filter { $0.0 == "executing" }.map { $0.1["node"]?.stringValue ?? "null" }
        #expect(executing == ["4", "6", "7", "5", "3", "8", "9", "null"], "inputs first, in the order listed")
        let progress = seen.filter { $0.0 == "progress" }.map(\.1)
        #expect(progress.map { $0["value"]?.intValue } == [1, 2, 3, 4])
        #expect(progress.allSatisfy { $0["max"] == 4 && $0["node"] == "3" && $0["prompt_id"]?.stringValue == id })
        let states = seen.filter { $0.0 == "progress_state" }.map(\.1)
        #expect(states.allSatisfy { $0["prompt_id"]?.stringValue == id })
        let last = try #require(states.last?["nodes"])
        #expect(last["3"]?["state"] == "finished" && last["3"]?["value"] == 4 && last["3"]?["max"] == 4, "\(last)")
        let executed = try #require(seen.first { $0.0 == "executed" }?.1)
        #expect(executed["node"] == "9")
        #expect(executed["output"]?["images"]?[0]?["filename"]?.stringValue?.hasSuffix(".png") == true)
        #expect(seen.first { $0.0 == "execution_start" }?.1["timestamp"]?.intValue != nil)
    }

    @Test func anotherClientSeesOnlyWhatIsSentToEveryone() async throws {
        let emulator = try startComfyUI(.init(stepDuration: .milliseconds(2)))
        defer { emulator.stop() }
        let types = try await offPool { () -> Set<String> in
            let other = try WebSocketClient.connect("ws://127.0.0.1:\(emulator.port)/ws?clientId=someone-else", timeout: TestTime.scaled(.seconds(30)))
            defer { other.close() }
            _ = try other.receive()
            _ = try comfyQueue(emulator.port, comfyGraph())
            // `status` after the prompt ends is the last message everyone gets.
            var statuses = 0
            let seen = try Self.messages(other) { type, _ in
                if type == "status" { statuses += 1 }
                return statuses == 2
            }
            return Set(seen.map(\.0))
        }
        #expect(types == ["status", "progress_state"], "progress_state goes to every socket, the rest to the prompt's client")
    }

    @Test func aRequestThatIsNoHandshakeIsRefused() async throws {
        let emulator = try startComfyUI()
        defer { emulator.stop() }
        let response = try await offPool { try RawHTTPClient(port: emulator.port).request("GET", "/ws?clientId=x") }
        #expect(response.status == 400)
    }
}
