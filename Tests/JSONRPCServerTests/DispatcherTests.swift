import JSON
import JSONRPC
import JSONRPCServer
import Synchronization
import Testing

/// Methods for the dispatcher tests.
enum Add: RPCMethod {
    static let name = "math.add"

    struct Parameters: RPCParameters {
        var a: Int
        var b: Int

        init(a: Int, b: Int) {
            self.a = a
            self.b = b
        }

        init(params: JSON?) throws(RPCError) {
            do {
                var reader = try FieldReader(params, path: "params")
                a = try reader.required("a", try reader.integer("a"))
                b = try reader.required("b", try reader.integer("b", in: -100...100))
                try reader.finish()
            } catch {
                throw error.rpcError
            }
        }

        var params: JSON? { ["a": .number(JSONNumber(a)), "b": .number(JSONNumber(b))] }
    }

    typealias Result = AnyResult
}

enum Slow: RPCMethod {
    static let name = "slow.echo"
    typealias Parameters = NoParameters
    typealias Result = AnyResult
}

enum Broken: RPCMethod {
    static let name = "broken.method"
    typealias Parameters = NoParameters
    typealias Result = AnyResult
}

enum Quota: RPCMethod {
    static let name = "app.quota"
    typealias Parameters = NoParameters
    typealias Result = AnyResult
}

struct Boom: Error {}

func testMethods() -> RPCMethodTable {
    var table = RPCMethodTable()
    table.register(Add.self) { parameters, _ in AnyResult(.number(JSONNumber(parameters.a + parameters.b))) }
    table.register(Slow.self, async: { _, _ in
        try await Task.sleep(for: .milliseconds(50))
        return AnyResult("slow")
    })
    table.register(Broken.self) { _, _ in throw Boom() }
    table.register(Quota.self) { _, _ in
        throw RPCError.make(RPCErrorCode(rawValue: -32042), reason: "quota_exceeded", "you are out of quota")
    }
    return table
}

/// Dispatches one line and returns the reply line (awaiting deferred work).
func dispatch(_ line: String, _ dispatcher: RPCDispatcher = RPCDispatcher(methods: testMethods())) async -> String? {
    let context = RPCRequestContext(connectionID: 1, peer: nil, isNotification: false, session: nil)
    let reply = Array(line.utf8).withUnsafeBytes { dispatcher.handle(line: $0, context: context) }
    switch reply {
    case .none: return nil
    case .now(let bytes): return String(decoding: bytes, as: UTF8.self)
    case .later(_, let work): return await work().map { String(decoding: $0, as: UTF8.self) }
    case .batch(_, let answer):
        let output = CollectedOutput()
        await answer(output)
        return output.text
    }
}

/// A batch's output that keeps every piece (and has room at once).
final class CollectedOutput: RPCBatchOutput {
    private let pieces = Mutex<[[UInt8]]>([])
    let pieceSize: Int

    init(pieceSize: Int = .max) {
        self.pieceSize = pieceSize
    }

    func waitForRoom() async {}

    func write(_ piece: [UInt8], last: Bool) async -> Bool {
        pieces.withLock { $0.append(piece) }
        return true
    }

    /// The pieces written so far.
    var written: [[UInt8]] { pieces.withLock { $0 } }

    /// Everything written, or nil if nothing was.
    var text: String? {
        let all = written
        return all.isEmpty ? nil : String(decoding: all.joined(), as: UTF8.self)
    }
}

func json(_ line: String?) throws -> JSON {
    try JSONParser.parse(try #require(line))
}

@Suite struct DispatcherTests {
    @Test func aRequestGetsItsResultWithItsID() async throws {
        let reply = await dispatch(#"{"jsonrpc":"2.0","id":"k","method":"math.add","params":{"a":2,"b":3}}"#)
        #expect(reply == #"{"jsonrpc":"2.0","id":"k","result":5}"# + "\n")
    }

    @Test func repliesAreOneLineEvenForStringsWithNewlines() async throws {
        let reply = try #require(await dispatch(#"{"jsonrpc":"2.0","id":"a\nb","method":"x"}"#))
        #expect(reply.filter { $0 == "\n" }.count == 1)
        #expect(reply.hasSuffix("\n"))
    }

    @Test func invalidParamsNameTheField() async throws {
        let reply = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"math.add","params":{"a":2,"b":300}}"#))
        #expect(reply["error"]?["code"] == -32602)
        #expect(reply["error"]?["data"]?["field"] == "params.b")
        #expect(reply["error"]?["message"]?.stringValue?.contains("from -100 to 100, got 300") == true)

        let missing = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"math.add","params":{"a":2}}"#))
        #expect(missing["error"]?["data"]?["field"] == "params.b")
        #expect(missing["error"]?["message"]?.stringValue?.contains("is required") == true)

        let typo = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"math.add","params":{"a":2,"b":1,"c":3}}"#))
        #expect(typo["error"]?["data"]?["field"] == "params.c")

        let wrongType = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"math.add","params":{"a":"2","b":1}}"#))
        #expect(wrongType["error"]?["message"]?.stringValue?.contains("expected an integer, got string") == true)
    }

    @Test func internalErrorsAreLoggedAndAnswered() async throws {
        let logged = LogBox()
        let dispatcher = RPCDispatcher(methods: testMethods()) { method, _ in logged.append(method) }
        let reply = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"broken.method"}"#, dispatcher))
        #expect(reply["error"]?["code"] == -32603)
        #expect(reply["error"]?["data"]?["reason"] == "internal_error")
        #expect(logged.entries == ["broken.method"])
    }

    @Test func applicationErrorsKeepTheirCodeAndReason() async throws {
        let reply = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"app.quota"}"#))
        #expect(reply["error"]?["code"] == -32042)
        #expect(reply["error"]?["data"]?["reason"] == "quota_exceeded")
        #expect(RPCErrorCode.applicationRange.contains(-32042))
    }

    @Test func asyncMethodsAnswerLater() async throws {
        let reply = try json(await dispatch(#"{"jsonrpc":"2.0","id":9,"method":"slow.echo"}"#))
        #expect(reply["result"] == "slow")
        #expect(reply["id"] == 9)
    }

    @Test func notificationsGetNothingEvenWhenTheyFail() async {
        #expect(await dispatch(#"{"jsonrpc":"2.0","method":"math.add","params":{"a":1,"b":2}}"#) == nil)
        #expect(await dispatch(#"{"jsonrpc":"2.0","method":"nope"}"#) == nil)
        #expect(await dispatch(#"{"jsonrpc":"2.0","method":"math.add","params":{}}"#) == nil)
        #expect(await dispatch(#"{"jsonrpc":"2.0","method":"broken.method"}"#) == nil)
        #expect(await dispatch(#"{"jsonrpc":"2.0","method":"slow.echo"}"#) == nil)
    }

    @Test func batchesKeepOrderAndSkipNotifications() async throws {
        let reply = try json(await dispatch("""
            [{"jsonrpc":"2.0","id":1,"method":"slow.echo"},
             {"jsonrpc":"2.0","method":"math.add","params":{"a":1,"b":1}},
             {"jsonrpc":"2.0","id":2,"method":"math.add","params":{"a":1,"b":1}},
             "x"]
            """.split(separator: "\n").joined()))
        let replies = try #require(reply.arrayValue)
        #expect(replies.map { $0["id"] } == [1, 2, .null])
        #expect(replies[0]["result"] == "slow")
        #expect(replies[1]["result"] == 2)
        #expect(replies[2]["error"]?["code"] == -32600)
    }

    @Test func batchEdgeCases() async throws {
        let empty = try json(await dispatch("[]"))
        #expect(empty.arrayValue == nil, "an empty batch gets one error, not an array")
        #expect(empty["error"]?["code"] == -32600)
        #expect(await dispatch(#"[{"jsonrpc":"2.0","method":"math.add","params":{"a":1,"b":1}}]"#) == nil)
        let nested = try json(await dispatch("[[]]"))
        #expect(nested.arrayValue?.first?["error"]?["code"] == -32600)
        let dispatcher = RPCDispatcher(methods: testMethods(), limits: .init(maximumBatchSize: 2))
        let tooMany = try json(await dispatch("[1,2,3]", dispatcher))
        #expect(tooMany["error"]?["message"]?.stringValue?.contains("limit is 2") == true)
    }

    @Test func invalidRequestsEchoAValidIDElseNull() async throws {
        #expect(try json(await dispatch(#"{"jsonrpc":"2.0","id":4,"method":1}"#))["id"] == 4)
        #expect(try json(await dispatch(#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#))["id"] == .null)
        #expect(try json(await dispatch(#"{"jsonrpc":"2.0","method":1}"#))["id"] == .null)
        #expect(try json(await dispatch("{bad"))["id"] == .null)
    }

    @Test func deepNestingIsAParseErrorNotACrash() async throws {
        let deep = String(repeating: "[", count: 100_000)
        let reply = try json(await dispatch(deep))
        #expect(reply["error"]?["code"] == -32700)
    }

    @Test func blankLinesAreSkipped() async {
        #expect(await dispatch("") == nil)
        #expect(await dispatch(" \t\r") == nil)
    }

    @Test func suggestionsForTypos() async throws {
        let reply = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"math.ad"}"#))
        #expect(reply["error"]?["message"]?.stringValue?.contains("did you mean 'math.add'") == true)
        let far = try json(await dispatch(#"{"jsonrpc":"2.0","id":1,"method":"completely.different"}"#))
        #expect(far["error"]?["message"]?.stringValue?.contains("did you mean") == false)
    }


}

/// Collects log entries from any thread.
final class LogBox: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ entry: String) { storage.withLock { $0.append(entry) } }
    var entries: [String] { storage.withLock { $0 } }
}
