import JSON
import JSONRPC
import Testing

@Suite struct MessageTests {
    func validate(_ text: String) throws -> Result<RPCRequest, RPCRequest.InvalidRequest> {
        RPCRequest.validate(try JSONParser.parse(text))
    }

    @Test func validRequestsAndNotifications() throws {
        let request = try validate(#"{"jsonrpc":"2.0","id":"a","method":"m","params":{"x":1}}"#).get()
        #expect(request == RPCRequest(id: .string("a"), method: "m", params: ["x": 1]))
        #expect(!request.isNotification)
        let notification = try validate(#"{"jsonrpc":"2.0","method":"m","params":[1]}"#).get()
        #expect(notification.isNotification)
        #expect(try validate(#"{"jsonrpc":"2.0","id":null,"method":"m"}"#).get().id == .null)
    }

    @Test(arguments: [
        (#"[]"#, "a request must be a JSON object, not array", RPCID.null),
        (#"{"jsonrpc":"2.0","id":[],"method":"m"}"#, "\"id\" must be a string, a number or null, not array", RPCID.null),
        (#"{"jsonrpc":"2.0","id":7}"#, "\"method\" is missing", RPCID(7)),
        (#"{"jsonrpc":2,"id":7,"method":"m"}"#, "\"jsonrpc\" must be \"2.0\", not 2", RPCID(7)),
        (#"{"id":7,"method":"m"}"#, "\"jsonrpc\": \"2.0\" is missing", RPCID(7)),
        (#"{"jsonrpc":"2.0","id":"s","method":true}"#, "\"method\" must be a string, not boolean", RPCID.string("s")),
        (#"{"jsonrpc":"2.0","id":7,"method":"m","params":3}"#, "\"params\" must be an object or an array, not number", RPCID(7)),
        (#"{"jsonrpc":"2.0","id":7,"method":"m","parmas":{}}"#, "unknown member \"parmas\"", RPCID(7)),
    ])
    func invalidRequestsSayWhyAndWhichIDToAnswer(text: String, detail: String, replyID: RPCID) throws {
        guard case .failure(let invalid) = try validate(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(invalid.error.code == .invalidRequest)
        #expect(invalid.error.message.contains(detail), "\(invalid.error.message)")
        #expect(invalid.replyID == replyID)
    }

    @Test func errorsCarryStableReasons() {
        #expect(RPCError.parseError("x", offset: 3).data?["offset"] == 3)
        #expect(RPCError.parseError("x").reason == "parse_error")
        #expect(RPCError.invalidRequest("x").reason == "invalid_request")
        #expect(RPCError.messageTooLarge(limit: 10).reason == "message_too_large")
        #expect(RPCError.methodNotFound("a.b", suggestion: "a.c").message.contains("did you mean 'a.c'?"))
        #expect(RPCError.invalidParams(field: "params.x", "bad").data?["field"] == "params.x")
        #expect(RPCError.invalidParams(field: "params.x", "bad").data?["detail"] == "bad", "what is wrong, without the path, for clients that name the field their own way")
        #expect(RPCError.internalError("x").code.rawValue == -32603)
        let custom = RPCError.make(RPCErrorCode(rawValue: -32010), reason: "job_not_found", "no such job", extra: ["id": "j1"])
        #expect(custom.reason == "job_not_found")
        #expect(custom.data?["id"] == "j1")
        #expect(RPCError(json: custom.json) == custom)
        #expect(RPCErrorCode.parseError.standardReason == "parse_error")
        #expect(RPCErrorCode(rawValue: -32010).standardReason == nil)
    }

    @Test func responsesRoundTripThroughJSON() throws {
        let success = RPCResponse(id: RPCID(3), outcome: .success(["k": "v"]))
        #expect(RPCResponse(json: success.json) == success)
        let failure = RPCResponse(id: .string("x"), outcome: .failure(.invalidParams(field: "params.a", "bad")))
        #expect(RPCResponse(json: failure.json) == failure)
        #expect(RPCResponse(json: ["jsonrpc": "2.0", "method": "job.updated"]) == nil)
        #expect(RPCResponse(json: ["jsonrpc": "2.0", "id": 1, "result": 1, "error": ["code": 1, "message": "x"]]) == nil)
        #expect(RPCNotification(json: ["jsonrpc": "2.0", "method": "job.updated"]) == RPCNotification(method: "job.updated", params: nil))
        var written: [UInt8] = []
        success.write(to: &written)
        #expect(String(decoding: written, as: UTF8.self) == #"{"jsonrpc":"2.0","id":3,"result":{"k":"v"}}"#)
    }

    @Test func noParametersAcceptsAbsentEmptyObjectAndEmptyArray() throws {
        _ = try NoParameters(params: nil)
        _ = try NoParameters(params: [:])
        _ = try NoParameters(params: [])
        #expect(throws: RPCError.self) { _ = try NoParameters(params: ["x": 1]) }
        #expect(throws: RPCError.self) { _ = try NoParameters(params: [1]) }
    }

    @Test func fieldReaderNamesFieldsAndRanges() throws {
        var reader = try FieldReader(["count": 7, "name": "", "tags": ["a", 2], "ratio": 2.5, "on": "yes"], path: "params")
        #expect(throws: FieldError(field: "params.count", detail: "expected an integer from 1 to 5, got 7")) {
            _ = try reader.integer("count", in: 1...5)
        }
        #expect(throws: FieldError(field: "params.name", detail: "must not be empty")) {
            _ = try reader.string("name", nonEmpty: true)
        }
        #expect(throws: FieldError(field: "params.tags[1]", detail: "expected a string, got number")) {
            _ = try reader.strings("tags")
        }
        #expect(try reader.number("ratio", in: 0...10) == 2.5)
        #expect(throws: FieldError(field: "params.on", detail: "expected true or false, got string")) {
            _ = try reader.boolean("on")
        }
        #expect(try reader.string("missing") == nil)
        #expect(throws: FieldError(field: "params.missing", detail: "is required")) {
            _ = try reader.required("missing", Optional<Int>.none)
        }
        try reader.finish()

        var strict = try FieldReader(["known": 1, "typo": 2], path: "params")
        _ = try strict.integer("known")
        #expect(throws: FieldError(field: "params.typo", detail: "unknown field (accepted: known)")) { try strict.finish() }
        #expect(throws: FieldError.self) { _ = try FieldReader([1, 2], path: "params") }
        #expect(FieldError(field: "params.x", detail: "bad").rpcError.code == .invalidParams)
    }
}
