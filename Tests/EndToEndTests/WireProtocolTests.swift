import JSON
import Posix
import Testing
import TestSupport

/// JSON-RPC 2.0 over the real daemon's socket, byte for byte.
@Suite struct WireProtocolTests {
    @Test func statusAnswersWithTheDaemonsFacts() async throws {
        let (reply, pid, socket) = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            return (try parse(try client.readLine()), daemon.child.pid, daemon.socketPath)
        }
        #expect(reply["jsonrpc"] == "2.0")
        #expect(reply["id"] == 1)
        let result = try #require(reply["result"])
        #expect(result["pid"]?.intValue == Int(pid))
        #expect(result["socket"]?.stringValue == socket)
        #expect(result["version"]?.stringValue == "0.1.0")
        #expect(result["connections"]?.intValue == 1)
        #expect((result["uptime_seconds"]?.doubleValue ?? -1) >= 0)
        #expect(result["started_at"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func idsComeBackExactlyAsSent() async throws {
        let replies = try await withDaemon { daemon in
            let client = try daemon.connect()
            for id in [#""abc""#, "1.50", "1E+2", "-0", "9007199254740993", "null"] {
                try client.sendLine(#"{"jsonrpc":"2.0","id":\#(id),"method":"daemon.status"}"#)
            }
            return try client.readLines(6)
        }
        let ids = replies.map { line in line.split(separator: ",")[1] }
        #expect(ids == [#""id":"abc""#, #""id":1.50"#, #""id":1E+2"#, #""id":-0"#, #""id":9007199254740993"#, #""id":null"#])
    }

    @Test(arguments: [
        ("{bad json", -32700, "parse_error"),
        (#"{"jsonrpc":"2.0","id":1,"method":"daemon.status""#, -32700, "parse_error"),
        ("[1,2,]", -32700, "parse_error"),
        (#"{"jsonrpc":"2.0","id":1,"id":2,"method":"daemon.status"}"#, -32700, "parse_error"),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), -32700, "parse_error"),
        (#"{"jsonrpc":"2.0","id":1e999,"method":"daemon.status"}"#, -32700, "parse_error"),
        (#"{"jsonrpc":"2.0","id":"\ud800","method":"daemon.status"}"#, -32700, "parse_error"),
        ("42", -32600, "invalid_request"),
        (#"{"jsonrpc":"1.0","id":1,"method":"daemon.status"}"#, -32600, "invalid_request"),
        (#"{"id":1,"method":"daemon.status"}"#, -32600, "invalid_request"),
        (#"{"jsonrpc":"2.0","id":1,"method":7}"#, -32600, "invalid_request"),
        (#"{"jsonrpc":"2.0","id":{},"method":"daemon.status"}"#, -32600, "invalid_request"),
        (#"{"jsonrpc":"2.0","id":1,"method":"daemon.status","params":"x"}"#, -32600, "invalid_request"),
        (#"{"jsonrpc":"2.0","id":1,"method":"daemon.status","parmas":{}}"#, -32600, "invalid_request"),
        ("[]", -32600, "invalid_request"),
        (#"{"jsonrpc":"2.0","id":1,"method":"daemon.stauts"}"#, -32601, "method_not_found"),
        (#"{"jsonrpc":"2.0","id":1,"method":"daemon.status","params":{"verbose":true}}"#, -32602, "invalid_params"),
        (#"{"jsonrpc":"2.0","id":1,"method":"daemon.status","params":[1]}"#, -32602, "invalid_params"),
        (#"{"jsonrpc":"2.0","id":1,"method":"test.sleep","params":{"milliseconds":-1}}"#, -32602, "invalid_params"),
        (#"{"jsonrpc":"2.0","id":1,"method":"test.fail"}"#, -32603, "internal_error"),
    ])
    func everyErrorCodeHasItsReason(message: String, code: Int, reason: String) async throws {
        let (reply, after) = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine(message)
            let reply = try parse(try client.readLine())
            // The connection survives a bad message.
            try client.sendLine(#"{"jsonrpc":"2.0","id":"after","method":"daemon.status"}"#)
            return (reply, try parse(try client.readLine()))
        }
        #expect(errorCode(reply) == code, "\(message) -> \(reply)")
        #expect(errorReason(reply) == reason)
        #expect(reply["error"]?["message"]?.stringValue?.isEmpty == false)
        #expect(after["id"] == "after")
        #expect(after["result"] != nil)
    }

    @Test func parseErrorsAnswerWithNullIDAndTheOffset() async throws {
        let reply = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc": "2.0", "id": 5, oops}"#)
            return try parse(try client.readLine())
        }
        #expect(reply["id"] == .null)
        #expect(reply["error"]?["data"]?["offset"]?.intValue == 28)
    }

    @Test func invalidUTF8IsAParseError() async throws {
        let reply = try await withDaemon { daemon in
            let client = try daemon.connect()
            var bytes = Array(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status","x":""#.utf8)
            bytes += [0xC3, 0x28]  // an invalid two-byte sequence
            bytes += Array("\"}\n".utf8)
            try client.send(bytes: bytes)
            return try parse(try client.readLine())
        }
        #expect(errorCode(reply) == -32700)
    }

    @Test func methodNotFoundSuggestsTheClosestName() async throws {
        let reply = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.stauts"}"#)
            return try parse(try client.readLine())
        }
        #expect(reply["error"]?["message"]?.stringValue?.contains("did you mean 'daemon.status'") == true)
        #expect(reply["error"]?["data"]?["method"] == "daemon.stauts")
    }

    @Test func notificationsAreNeverAnswered() async throws {
        let next = try await withDaemon { daemon in
            let client = try daemon.connect()
            // A valid one, an unknown method, bad params, a failing method: all silent.
            try client.sendLine(#"{"jsonrpc":"2.0","method":"daemon.status"}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","method":"no.such"}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","method":"daemon.status","params":{"x":1}}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","method":"test.fail"}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":"marker","method":"daemon.status"}"#)
            return try parse(try client.readLine())
        }
        // The first line back answers the marker: nothing came before it.
        #expect(next["id"] == "marker")
    }

    @Test func batchesFollowTheSpec() async throws {
        let (mixed, onlyNotifications) = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine("""
                [{"jsonrpc":"2.0","id":1,"method":"daemon.status"},\
                {"jsonrpc":"2.0","method":"daemon.status"},\
                {"jsonrpc":"2.0","id":2,"method":"nope"},\
                7,\
                {"jsonrpc":"2.0","id":3,"method":"test.sleep","params":{"milliseconds":20}}]
                """)
            let mixed = try parse(try client.readLine())
            try client.sendLine(#"[{"jsonrpc":"2.0","method":"daemon.status"},{"jsonrpc":"2.0","method":"x"}]"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":"marker","method":"daemon.status"}"#)
            return (mixed, try parse(try client.readLine()))
        }
        let replies = try #require(mixed.arrayValue)
        #expect(replies.count == 4)
        #expect(replies[0]["id"] == 1)
        #expect(replies[0]["result"] != nil)
        #expect(replies[1]["id"] == 2)
        #expect(errorCode(replies[1]) == -32601)
        #expect(replies[2]["id"] == .null)
        #expect(errorCode(replies[2]) == -32600)
        #expect(replies[3]["id"] == 3)
        #expect(replies[3]["result"]?["slept_ms"] == 20)
        #expect(onlyNotifications["id"] == "marker")
    }

    @Test func pipelinedRequestsAreAllAnswered() async throws {
        let ids = try await withDaemon { daemon in
            let client = try daemon.connect()
            var burst = ""
            for id in 0..<2000 { burst += #"{"jsonrpc":"2.0","id":\#(id),"method":"daemon.status"}"# + "\n" }
            try client.send(burst)
            return try client.readLines(2000).map { try parse($0)["id"]?.intValue ?? -1 }
        }
        #expect(Set(ids) == Set(0..<2000))
    }

    @Test func aSlowRequestIsOvertakenByQuickOnes() async throws {
        let order = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":"slow","method":"test.sleep","params":{"milliseconds":300}}"#)
            try client.sendLine(#"{"jsonrpc":"2.0","id":"quick","method":"daemon.status"}"#)
            return try client.readLines(2).map { try parse($0)["id"]?.stringValue ?? "" }
        }
        #expect(order == ["quick", "slow"])
    }

    @Test func aSlowMethodNeverStallsOtherConnections() async throws {
        let quickAnswered = try await withDaemon { daemon in
            let slow = try daemon.connect()
            for id in 0..<20 {
                try slow.sendLine(#"{"jsonrpc":"2.0","id":\#(id),"method":"test.sleep","params":{"milliseconds":2000}}"#)
            }
            let other = try daemon.connect()
            let clock = ContinuousClock()
            let started = clock.now
            try other.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            _ = try other.readLine(timeout: .seconds(1))
            return clock.now - started
        }
        #expect(quickAnswered < .seconds(1))
    }

    @Test func fiftyConcurrentClients() async throws {
        let daemon = try await offPool { try DaemonProcess.start() }
        defer { daemon.cleanUp() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await offPool {
                        let client = try daemon.connect()
                        for round in 0..<20 {
                            try client.sendLine(#"{"jsonrpc":"2.0","id":"\#(index)-\#(round)","method":"daemon.status"}"#)
                            let reply = try parse(try client.readLine())
                            guard reply["id"]?.stringValue == "\(index)-\(round)", reply["result"] != nil else {
                                throw TestFailure("client \(index) got \(reply)")
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func anOversizedLineIsRefusedAndTheConnectionClosed() async throws {
        let (reply, closed, others) = try await withDaemon(arguments: ["--max-message-bytes", "1024"]) { daemon in
            let client = try daemon.connect()
            try client.send(String(repeating: " ", count: 4096))  // no newline needed to trip the limit
            let reply = try parse(try client.readLine())
            let closed = try client.isClosedByServer()
            let other = try daemon.connect()
            try other.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#)
            return (reply, closed, try parse(try other.readLine()))
        }
        #expect(errorCode(reply) == -32600)
        #expect(errorReason(reply) == "message_too_large")
        #expect(reply["error"]?["data"]?["limit"] == 1024)
        #expect(closed)
        #expect(others["result"] != nil)
    }

    @Test func aRequestAtEndOfInputIsStillAnswered() async throws {
        let lines = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"test.sleep","params":{"milliseconds":100}}"#)
            try client.send(#"{"jsonrpc":"2.0","id":2,"method":"daemon.status"}"#)  // the last line may lack its newline
            client.shutdownWrite()
            return String(decoding: try client.readToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        }
        // Both answered (the quick one first), then the daemon closed.
        #expect(try lines.map { try parse($0)["id"] } == [2, 1])
    }

    @Test func blankLinesAreIgnored() async throws {
        let reply = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.send("\n  \r\n\t\n")
            try client.sendLine(#"{"jsonrpc":"2.0","id":"x","method":"daemon.status"}"#)
            return try parse(try client.readLine())
        }
        #expect(reply["id"] == "x")
    }

    @Test func discoverReturnsTheOpenRPCDocument() async throws {
        let reply = try await withDaemon { daemon in
            let client = try daemon.connect()
            try client.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"#)
            return try parse(try client.readLine())
        }
        let document = try #require(reply["result"])
        #expect(document["openrpc"]?.stringValue?.hasPrefix("1.3") == true)
        let names = document["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("daemon.status"))
        #expect(!names.contains("test.sleep"))
    }
}
