import JSON
import JSONRPC

/// A fault of the protocol, answered as a JSON-RPC error (not a tool's
/// failure, which is a result with `isError`).
public struct MCPProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON-RPC error.
    public let error: RPCError

    public init(_ code: RPCErrorCode, _ message: String, data: JSON? = nil) {
        error = RPCError(code: code, message: message, data: data)
    }

    public var description: String { error.message }

    /// `UnsupportedProtocolVersion` (2026-07-28: -32022), with the versions
    /// this server speaks.
    public static func unsupportedVersion(_ requested: String) -> MCPProtocolError {
        MCPProtocolError(
            RPCErrorCode(rawValue: -32022), "Unsupported protocol version '\(requested)'; this server speaks \(supportedList)",
            data: ["supported": .array(MCPProtocolVersion.newestFirst.map { .string($0.rawValue) }), "requested": .string(requested)]
        )
    }

    /// Invalid params naming the parameter.
    public static func invalidParams(_ message: String) -> MCPProtocolError {
        MCPProtocolError(.invalidParams, message)
    }

    /// A resource that is not there: -32602 from 2026-07-28 on, -32002 before.
    public static func resourceNotFound(_ uri: String, _ detail: String, version: MCPProtocolVersion) -> MCPProtocolError {
        MCPProtocolError(
            version.isModern ? .invalidParams : RPCErrorCode(rawValue: -32002), "Resource not found: \(uri): \(detail)",
            data: ["uri": .string(uri)]
        )
    }

    /// "2026-07-28, 2025-11-25 and 2025-06-18".
    static var supportedList: String {
        let names = MCPProtocolVersion.newestFirst.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
