import JSON

/// A response: the id of the request it answers and a result or an error.
public struct RPCResponse: Sendable, Equatable {
    public let id: RPCID
    public let outcome: Result<JSON, RPCError>

    public init(id: RPCID, outcome: Result<JSON, RPCError>) {
        self.id = id
        self.outcome = outcome
    }

    /// Reads a response object (for clients).
    ///
    /// - Returns: nil if the JSON is not a response (a notification from the
    ///   server, for instance).
    public init?(json: JSON) {
        guard case .object(let object) = json, object["jsonrpc"] == .string("2.0"),
            let rawID = object["id"], let id = RPCID(json: rawID)
        else { return nil }
        if let result = object["result"], object["error"] == nil {
            self.init(id: id, outcome: .success(result))
        } else if let errorJSON = object["error"], object["result"] == nil, let error = RPCError(json: errorJSON) {
            self.init(id: id, outcome: .failure(error))
        } else {
            return nil
        }
    }

    /// The response as JSON.
    public var json: JSON {
        var object: JSONObject = ["jsonrpc": "2.0", "id": id.json]
        switch outcome {
        case .success(let result): object["result"] = result
        case .failure(let error): object["error"] = error.json
        }
        return .object(object)
    }

    /// Appends the response's compact JSON to `buffer` (no newline), writing
    /// the envelope directly rather than building an object first.
    public func write(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: Self.prefix)
        JSONSerializer.append(id.json, to: &buffer)
        switch outcome {
        case .success(let result):
            buffer.append(contentsOf: Self.resultKey)
            JSONSerializer.append(result, to: &buffer)
        case .failure(let error):
            buffer.append(contentsOf: Self.errorKey)
            JSONSerializer.append(error.json, to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }

    private static let prefix = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
    private static let resultKey = Array(#","result":"#.utf8)
    private static let errorKey = Array(#","error":"#.utf8)
}

/// A server-to-client notification (`job.updated` and friends).
public struct RPCNotification: Sendable, Equatable {
    public let method: String
    public let params: JSON?

    public init(method: String, params: JSON?) {
        self.method = method
        self.params = params
    }

    /// Reads a notification; nil if the JSON is something else.
    public init?(json: JSON) {
        guard case .object(let object) = json, object["jsonrpc"] == .string("2.0"), object["id"] == nil,
            let method = object["method"]?.stringValue
        else { return nil }
        self.init(method: method, params: object["params"])
    }

    public var json: JSON {
        var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { object["params"] = params }
        return .object(object)
    }
}
