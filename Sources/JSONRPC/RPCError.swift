import JSON

/// A JSON-RPC error object: what goes in a response's `error` member, and
/// what a client call throws when the server answers with one.
///
/// Every error this project sends carries `data.reason`, a stable snake_case
/// name (`invalid_params`, `shutting_down` ...) that programs can match on
/// while the message stays free to improve.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: RPCErrorCode
    /// One or two sentences a user can act on.
    public let message: String
    /// Structured detail; an object with at least `reason` when we send it.
    public let data: JSON?

    public init(code: RPCErrorCode, message: String, data: JSON? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// The stable symbolic name in `data.reason`, if any.
    public var reason: String? {
        data?["reason"]?.stringValue
    }

    public var description: String {
        "\(message) (\(reason ?? "code \(code)"))"
    }

    /// Builds an error whose data is `{"reason": reason, ...extra}`.
    public static func make(_ code: RPCErrorCode, reason: String, _ message: String, extra: JSONObject = [:]) -> RPCError {
        var data: JSONObject = ["reason": .string(reason)]
        for (key, value) in extra { data[key] = value }
        return RPCError(code: code, message: message, data: .object(data))
    }

    /// -32700: the line is not JSON. `offset` is the byte where parsing failed.
    public static func parseError(_ detail: String, offset: Int? = nil) -> RPCError {
        var extra: JSONObject = [:]
        if let offset { extra["offset"] = .number(JSONNumber(offset)) }
        return make(.parseError, reason: "parse_error", "parse error: \(detail)", extra: extra)
    }

    /// -32600: the JSON is not a request object.
    public static func invalidRequest(_ detail: String) -> RPCError {
        make(.invalidRequest, reason: "invalid_request", "invalid request: \(detail)")
    }

    /// -32600 for a line over the size limit; the connection is then closed.
    public static func messageTooLarge(limit: Int) -> RPCError {
        make(
            .invalidRequest, reason: "message_too_large",
            "invalid request: the message exceeds the limit of \(limit) bytes per line; the connection is closed",
            extra: ["limit": .number(JSONNumber(limit))]
        )
    }

    /// -32601: no such method.
    public static func methodNotFound(_ method: String, suggestion: String? = nil) -> RPCError {
        var message = "method not found: '\(method)'"
        if let suggestion { message += "; did you mean '\(suggestion)'?" }
        message += " (rpc.discover lists the methods)"
        return make(.methodNotFound, reason: "method_not_found", message, extra: ["method": .string(method)])
    }

    /// -32602: a parameter is wrong. `field` is its path, such as
    /// "params.image_count"; `data.detail` is what is wrong with it, without
    /// the path (a client names the field its own way: vcctl by its flag).
    public static func invalidParams(field: String?, _ detail: String) -> RPCError {
        var extra: JSONObject = ["detail": .string(detail)]
        if let field { extra["field"] = .string(field) }
        let message = field.map { "invalid params: \($0): \(detail)" } ?? "invalid params: \(detail)"
        return make(.invalidParams, reason: "invalid_params", message, extra: extra)
    }

    /// -32603: the server failed on a valid request.
    public static func internalError(_ detail: String) -> RPCError {
        make(.internalError, reason: "internal_error", "internal error: \(detail)")
    }

    /// The error object as JSON: `{"code": ..., "message": ..., "data": ...}`.
    public var json: JSON {
        var object: JSONObject = [
            "code": .number(JSONNumber(code.rawValue)),
            "message": .string(message),
        ]
        if let data { object["data"] = data }
        return .object(object)
    }

    /// Reads an error object from a response.
    public init?(json: JSON) {
        guard let code = json["code"]?.intValue, let message = json["message"]?.stringValue else { return nil }
        self.init(code: RPCErrorCode(rawValue: code), message: message, data: json["data"])
    }
}
