import JSON

/// A request or notification, validated against JSON-RPC 2.0.
public struct RPCRequest: Sendable, Equatable {
    /// The id; nil for a notification (which never gets a reply).
    public let id: RPCID?
    public let method: String
    /// The params member: an object or an array, or nil when absent.
    public let params: JSON?

    public init(id: RPCID?, method: String, params: JSON? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// True when the request wants no reply.
    public var isNotification: Bool { id == nil }

    /// Validates one request object.
    ///
    /// - Returns: the request, or the error to send and the id to send it
    ///   with (the request's id when it could be read, else null; nil when
    ///   the message is a notification, which never gets a reply).
    public static func validate(_ json: JSON) -> Result<RPCRequest, InvalidRequest> {
        guard case .object(let object) = json else {
            return .failure(InvalidRequest(error: .invalidRequest("a request must be a JSON object, not \(json.typeName)"), replyID: .null))
        }
        // The id decides whether an error may be answered: a member that is
        // present but of a wrong type is itself an invalid request.
        var id: RPCID?
        if let rawID = object["id"] {
            guard let parsed = RPCID(json: rawID) else {
                return .failure(InvalidRequest(error: .invalidRequest("\"id\" must be a string, a number or null, not \(rawID.typeName)"), replyID: .null))
            }
            id = parsed
        }
        func fail(_ detail: String) -> Result<RPCRequest, InvalidRequest> {
            .failure(InvalidRequest(error: .invalidRequest(detail), replyID: id ?? .null))
        }
        guard let version = object["jsonrpc"] else { return fail("\"jsonrpc\": \"2.0\" is missing") }
        guard version == .string("2.0") else { return fail("\"jsonrpc\" must be \"2.0\", not \(version)") }
        guard let methodValue = object["method"] else { return fail("\"method\" is missing") }
        guard case .string(let method) = methodValue else {
            return fail("\"method\" must be a string, not \(methodValue.typeName)")
        }
        let params = object["params"]
        if let params {
            switch params {
            case .object, .array: break
            default: return fail("\"params\" must be an object or an array, not \(params.typeName)")
            }
        }
        for key in object.keys where !["jsonrpc", "id", "method", "params"].contains(key) {
            return fail("unknown member \"\(key)\" (a request has jsonrpc, id, method and params)")
        }
        return .success(RPCRequest(id: id, method: method, params: params))
    }

    /// Why a message is not a valid request, and how to answer it.
    public struct InvalidRequest: Error, Sendable, Equatable {
        public let error: RPCError
        /// The id to answer with. Invalid requests are always answered, even
        /// without an id (the spec's examples answer them with id null).
        public let replyID: RPCID
    }

    /// The request as JSON (for clients).
    public var json: JSON {
        var object: JSONObject = ["jsonrpc": "2.0"]
        if let id { object["id"] = id.json }
        object["method"] = .string(method)
        if let params { object["params"] = params }
        return .object(object)
    }
}
