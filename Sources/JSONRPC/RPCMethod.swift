import JSON

/// A method of an RPC interface: its name and the types of its parameters
/// and result. One type per method; servers register handlers for them and
/// clients call them, so both sides agree by construction.
public protocol RPCMethod: Sendable {
    associatedtype Parameters: RPCParameters
    associatedtype Result: RPCResult
    /// The wire name, `noun.verb`.
    static var name: String { get }
}

/// A method's parameters: decoded from the request's `params`, encoded by clients.
public protocol RPCParameters: Sendable {
    /// Decodes `params` (nil when the request has none).
    ///
    /// - Throws: `RPCError.invalidParams` naming the field and what was expected.
    init(params: JSON?) throws(RPCError)
    /// The `params` to send; nil to leave the member out.
    var params: JSON? { get }
}

/// A method's result: encoded by the server, decoded by clients.
public protocol RPCResult: Sendable {
    /// Decodes a result (client side).
    ///
    /// - Throws: a `FieldError` when the server's answer lacks what we need.
    init(result: JSON) throws(FieldError)
    /// The JSON to send.
    var result: JSON { get }
}

/// Parameters of a method that takes none. `params` may be absent, `{}` or `[]`.
public struct NoParameters: RPCParameters, Equatable {
    public init() {}

    public init(params: JSON?) throws(RPCError) {
        switch params {
        case nil, .array([])?: return
        case .object(let object)? where object.isEmpty: return
        case .object(let object)?:
            throw .invalidParams(field: "params.\(object.keys[0])", "this method takes no parameters")
        default:
            throw .invalidParams(field: "params", "this method takes no parameters")
        }
    }

    public var params: JSON? { nil }
}

/// A result that is any JSON (for methods whose result is a document).
public struct AnyResult: RPCResult, Equatable {
    public let value: JSON

    public init(_ value: JSON) {
        self.value = value
    }

    public init(result: JSON) {
        value = result
    }

    public var result: JSON { value }
}
