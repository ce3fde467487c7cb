import JSON
import JSONRPC
import MCP
import Posix
import Testing
import TestSupport

/// The protocol engine over real pipes, with a toolbox of our own: eras,
/// errors, progress, cancellation and tasks, as a client sees them.
@Suite struct MCPServerTests {
    /// A toolbox whose `wait` tool blocks until cancelled or released.
    final class FakeToolbox: MCPToolbox, Sendable {
        let released = ThreadCondition(false)
        let cancelledCalls = ThreadCondition(0)

        var implementation: MCPImplementation { MCPImplementation(name: "fake", version: "1.0") }
        var instructions: String? { "Use echo." }
        var tools: [MCPTool] {
            [
                MCPTool(name: "echo", title: "Echo", description: "Echoes.", inputSchema: ["type": "object"], outputSchema: nil, annotations: [:]),
                MCPTool(name: "wait", title: "Wait", description: "Waits.", inputSchema: ["type": "object"], outputSchema: nil, annotations: [:]),
                MCPTool(name: "task", title: "Task", description: "A task.", inputSchema: ["type": "object"], outputSchema: nil, annotations: [:]),
            ]
        }
        var resourceTemplates: [JSON] { [["uriTemplate": "fake://{id}", "name": "fake"]] }

        func call(tool: String, arguments: JSONObject, context: MCPRequestContext) throws(MCPProtocolError) -> MCPCallOutcome {
            switch tool {
            case "echo":
                for step in [1.0, 0.5, 2.0, 2.0, 3.0] { context.progress.report(step, total: 3, message: "step \(step)") }
                return .result(MCPToolResult(content: [MCPContent.text("echo")], structuredContent: .object(arguments)))
            case "task" where context.supportsTasks:
                return .task(["taskId": "t1", "status": "working", "createdAt": "2026-12-02T00:00:00Z", "lastUpdatedAt": "2026-12-02T00:00:00Z", "ttlMs": .null])
            case "task":
                return .result(MCPToolResult(content: [MCPContent.text("no tasks")]))
            default:
                context.cancellation.whileWaiting(wake: { self.released.update { $0 = true } }) {
                    _ = released.wait(timeout: TestTime.scaled(.seconds(30))) { $0 }
                }
                if context.cancellation.isCancelled { cancelledCalls.update { $0 += 1 } }
                return .result(.failure("released"))
            }
        }

        func listResources(cursor: String?, context: MCPRequestContext) throws(MCPProtocolError) -> (resources: [JSON], nextCursor: String?) {
            cursor == nil ? ([["uri": "fake://1", "name": "one"]], "page2") : ([["uri": "fake://2", "name": "two"]], nil)
        }

        func readResource(uri: String, context: MCPRequestContext) throws(MCPProtocolError) -> [JSON] {
            guard uri == "fake://1" else { throw .resourceNotFound(uri, "no such thing", version: context.version) }
            return [["uri": "fake://1", "text": "one"]]
        }

        func task(id: String, context: MCPRequestContext) throws(MCPProtocolError) -> JSONObject {
            guard id == "t1" else { throw .invalidParams("no task \(id)") }
            return ["taskId": "t1", "status": "completed", "result": ["content": []]]
        }

        func cancelTask(id: String, context: MCPRequestContext) throws(MCPProtocolError) {}
    }

    /// A server on pipes, read line by line.
    final class Connection {
        let toolbox = FakeToolbox()
        let input: FileDescriptor
        let output: FileDescriptor
        var framer = LineFramer(maximumLineLength: 64 << 20)
        var lines: [JSON] = []
        let thread: OSThread

        init() throws {
            let toServer = try FileDescriptor.pipe()
            let fromServer = try FileDescriptor.pipe()
            input = toServer.write
            output = fromServer.read
            let server = MCPServer(toolbox: toolbox, output: MCPOutput(fromServer.write), log: { _ in })
            let serverInput = toServer.read
            thread = try OSThread.spawn(name: "mcp-test") {
                server.serve(input: serverInput)
                try? serverInput.close()
                try? fromServer.write.close()
            }
        }

        func send(_ text: String) throws { try input.writeAll(text + "\n") }

        func send(_ message: JSON) throws { try input.writeAll(JSONSerializer.serializeToString(message) + "\n") }

        /// The next message the server writes.
        func next() throws -> JSON {
            while lines.isEmpty {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let result = try buffer.withUnsafeMutableBytes { try output.read(into: $0) }
                guard case .bytes(let count) = result else { throw TestFailure("the server closed its output") }
                _ = buffer.withUnsafeBytes { bytes in
                    framer.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { line in
                        lines.append((try? JSONParser.parse(line)) ?? "unparsable")
                        return true
                    }
                }
            }
            return lines.removeFirst()
        }

        /// Sends a request and returns its answer (notifications before it in `notes`).
        func request(_ id: Int, _ method: String, _ params: JSON = [:]) throws -> (answer: JSON, notes: [JSON]) {
            try send(["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method), "params": params])
            var notes: [JSON] = []
            while true {
                let message = try next()
                if message["id"]?.intValue == id { return (message, notes) }
                notes.append(message)
            }
        }

        func close() {
            try? input.close()
            thread.join()
            try? output.close()
        }
    }

    static let modern: JSON = ["io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:]]

    @Test func theHandshakeEraAgreesAVersionAndServesItsRequests() throws {
        let connection = try Connection()
        defer { connection.close() }
        let before = try connection.request(1, "tools/list").answer
        #expect(before["error"]?["code"] == -32600, "a request before initialize: \(before)")
        #expect(before["error"]?["message"]?.stringValue?.contains("initialize") == true)
        #expect(try connection.request(2, "ping").answer["result"] == [:], "ping is answered before initialize")

        let opened = try connection.request(3, "initialize", ["protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]]).answer
        #expect(opened["result"]?["protocolVersion"] == "2025-06-18")
        #expect(opened["result"]?["serverInfo"]?["name"] == "fake" && opened["result"]?["instructions"] == "Use echo.")
        #expect(opened["result"]?["resultType"] == nil, "no resultType in the legacy era")
        try connection.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        let tools = try connection.request(4, "tools/list").answer
        #expect(tools["result"]?["tools"]?.arrayValue?.map { $0["name"] } == ["echo", "wait", "task"])
        #expect(tools["result"]?["ttlMs"] == nil)

        let unknownVersion = try connection.request(5, "initialize", ["protocolVersion": "1999-01-01", "capabilities": [:]]).answer
        #expect(unknownVersion["result"]?["protocolVersion"] == "2025-11-25", "an unknown version gets the newest legacy one")
    }

    @Test func theModernEraNeedsNoHandshakeAndMarksEveryResult() throws {
        let connection = try Connection()
        defer { connection.close() }
        let discovered = try connection.request(1, "server/discover", ["_meta": Self.modern]).answer["result"]
        #expect(discovered?["supportedVersions"] == ["2026-07-28", "2025-11-25", "2025-06-18"])
        #expect(discovered?["resultType"] == "complete" && discovered?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "fake")
        #expect(discovered?["capabilities"]?["extensions"]?["io.modelcontextprotocol/tasks"] == [:])
        #expect(discovered?["ttlMs"]?.intValue ?? 0 > 0 && discovered?["cacheScope"] == "private")

        let tools = try connection.request(2, "tools/list", ["_meta": Self.modern]).answer["result"]
        #expect(tools?["tools"]?.arrayValue?.count == 3 && tools?["resultType"] == "complete" && tools?["cacheScope"] != nil)

        let called = try connection.request(3, "tools/call", ["name": "echo", "arguments": ["a": 1], "_meta": Self.modern]).answer["result"]
        #expect(called?["structuredContent"] == ["a": 1] && called?["resultType"] == "complete")

        let unsupported = try connection.request(4, "tools/list", ["_meta": ["io.modelcontextprotocol/protocolVersion": "2030-01-01"]]).answer["error"]
        #expect(unsupported?["code"] == -32022)
        #expect(unsupported?["data"]?["requested"] == "2030-01-01" && unsupported?["data"]?["supported"]?.arrayValue?.first == "2026-07-28")

        let noPing = try connection.request(5, "ping", ["_meta": Self.modern]).answer["error"]
        #expect(noPing?["code"] == -32601, "ping is gone in 2026-07-28")
    }

    @Test func progressOnlyRisesAndOnlyWithAToken() throws {
        let connection = try Connection()
        defer { connection.close() }
        var meta = Self.modern.objectValue!
        meta["progressToken"] = "tok"
        let (answer, notes) = try connection.request(1, "tools/call", ["name": "echo", "_meta": .object(meta)])
        #expect(answer["result"] != nil)
        #expect(notes.map { $0["params"]?["progress"]?.doubleValue } == [1, 2, 3], "0.5 and the second 2 dropped: \(notes)")
        #expect(notes.allSatisfy { $0["method"] == "notifications/progress" && $0["params"]?["progressToken"] == "tok" && $0["params"]?["total"] == 3 })
        let silent = try connection.request(2, "tools/call", ["name": "echo", "_meta": Self.modern])
        #expect(silent.notes.isEmpty)
    }

    @Test func aCancelledCallIsWokenAndNeverAnswered() throws {
        let connection = try Connection()
        defer { connection.close() }
        try connection.send(["jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": ["name": "wait", "_meta": Self.modern]])
        // A second request is answered while the first waits.
        #expect(try connection.request(8, "tools/list", ["_meta": Self.modern]).answer["result"] != nil)
        try connection.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 7, "reason": "user"]])
        #expect(connection.toolbox.cancelledCalls.wait(timeout: TestTime.scaled(.seconds(10))) { $0 == 1 })
        // The next answer is the next request's: nothing came for 7.
        let after = try connection.request(9, "tools/list", ["_meta": Self.modern])
        #expect(after.notes.isEmpty, "no answer for the cancelled call: \(after.notes)")
    }

    @Test func faultsAreErrorsAndTheServerGoesOn() throws {
        let connection = try Connection()
        defer { connection.close() }
        try connection.send("{not json")
        #expect(try connection.next()["error"]?["code"] == -32700)
        try connection.send("[1, 2]")
        #expect(try connection.next()["error"]?["message"]?.stringValue?.contains("batches") == true)
        try connection.send(#"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#)
        #expect(try connection.next()["error"]?["code"] == -32600)
        try connection.send(#"{"jsonrpc":"1.0","id":1,"method":"tools/list"}"#)
        #expect(try connection.next()["error"]?["code"] == -32600)
        #expect(try connection.request(2, "no/such", ["_meta": Self.modern]).answer["error"]?["code"] == -32601)
        #expect(try connection.request(3, "tools/call", ["name": "nope", "_meta": Self.modern]).answer["error"]?["code"] == -32602)
        #expect(try connection.request(4, "tools/call", ["name": "echo", "arguments": [1], "_meta": Self.modern]).answer["error"]?["code"] == -32602)
        #expect(try connection.request(5, "tools/call", .array([])).answer["error"]?["code"] == -32602, "params must be an object")
        // A response from the client, and an unknown notification: ignored.
        try connection.send(#"{"jsonrpc":"2.0","id":99,"result":{}}"#)
        try connection.send(#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#)
        #expect(try connection.request(6, "tools/list", ["_meta": Self.modern]).answer["result"] != nil)
    }

    @Test func aLineOverTheLimitIsRefusedAndTheNextIsRead() throws {
        let connection = try Connection()
        defer { connection.close() }
        let writer = try OSThread.spawn(name: "big-writer") { [input = connection.input] in
            try? input.writeAll([UInt8](repeating: UInt8(ascii: "x"), count: MCPServer.maximumMessageBytes + 10))
            try? input.writeAll("\n")
        }
        let refused = try connection.next()
        writer.join()
        #expect(refused["error"]?["code"] == -32600 && refused["id"] == .null)
        #expect(try connection.request(1, "tools/list", ["_meta": Self.modern]).answer["result"] != nil)
    }

    @Test func resourcesPageAndMissingOnesAreNotFoundInEachErasCode() throws {
        let connection = try Connection()
        defer { connection.close() }
        let first = try connection.request(1, "resources/list", ["_meta": Self.modern]).answer["result"]
        #expect(first?["resources"]?[0]?["uri"] == "fake://1" && first?["nextCursor"] == "page2")
        let second = try connection.request(2, "resources/list", ["cursor": "page2", "_meta": Self.modern]).answer["result"]
        #expect(second?["resources"]?[0]?["uri"] == "fake://2" && second?["nextCursor"] == nil)
        #expect(try connection.request(3, "resources/read", ["uri": "fake://1", "_meta": Self.modern]).answer["result"]?["contents"]?[0]?["text"] == "one")
        #expect(try connection.request(4, "resources/read", ["uri": "fake://9", "_meta": Self.modern]).answer["error"]?["code"] == -32602)
        _ = try connection.request(5, "initialize", ["protocolVersion": "2025-11-25", "capabilities": [:]])
        #expect(try connection.request(6, "resources/read", ["uri": "fake://9"]).answer["error"]?["code"] == -32002)
        #expect(try connection.request(7, "resources/templates/list").answer["result"]?["resourceTemplates"]?[0]?["name"] == "fake")
    }

    @Test func aClientOfTheTasksExtensionGetsATask() throws {
        let connection = try Connection()
        defer { connection.close() }
        var meta = Self.modern.objectValue!
        meta["io.modelcontextprotocol/clientCapabilities"] = ["extensions": ["io.modelcontextprotocol/tasks": [:]]]
        let created = try connection.request(1, "tools/call", ["name": "task", "_meta": .object(meta)]).answer["result"]
        #expect(created?["resultType"] == "task" && created?["taskId"] == "t1" && created?["status"] == "working")
        let plain = try connection.request(2, "tools/call", ["name": "task", "_meta": Self.modern]).answer["result"]
        #expect(plain?["resultType"] == "complete", "no task for a client that did not say it takes one")
        let got = try connection.request(3, "tasks/get", ["taskId": "t1", "_meta": .object(meta)]).answer["result"]
        #expect(got?["status"] == "completed" && got?["resultType"] == "complete")
        #expect(try connection.request(4, "tasks/cancel", ["taskId": "t1", "_meta": .object(meta)]).answer["result"]?["resultType"] == "complete")
        #expect(try connection.request(5, "tasks/get", ["taskId": "zz", "_meta": .object(meta)]).answer["error"]?["code"] == -32602)
    }
}
