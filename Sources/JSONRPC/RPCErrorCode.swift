/// A JSON-RPC 2.0 error code.
///
/// The spec reserves -32768..-32000; the named constants below are its
/// codes. Applications use -32000..-32099 ("server errors") and say which
/// error it is with a stable symbolic name in `error.data.reason`.
public struct RPCErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// The line is not valid JSON (-32700).
    public static let parseError = RPCErrorCode(rawValue: -32700)
    /// The JSON is not a valid request object, or the message is too large (-32600).
    public static let invalidRequest = RPCErrorCode(rawValue: -32600)
    /// No method by that name (-32601).
    public static let methodNotFound = RPCErrorCode(rawValue: -32601)
    /// The parameters are missing, of the wrong type or out of range (-32602).
    public static let invalidParams = RPCErrorCode(rawValue: -32602)
    /// The server failed while handling a valid request (-32603).
    public static let internalError = RPCErrorCode(rawValue: -32603)

    /// The codes left to applications.
    public static let applicationRange = -32099 ... -32000

    /// The symbolic name for the spec's codes ("parse_error" ...), nil for others.
    public var standardReason: String? {
        switch self {
        case .parseError: "parse_error"
        case .invalidRequest: "invalid_request"
        case .methodNotFound: "method_not_found"
        case .invalidParams: "invalid_params"
        case .internalError: "internal_error"
        default: nil
        }
    }

    public var description: String { String(rawValue) }
}
