import Client
import JSON
import JSONRPC
import MCP
import Posix
import VisionCraftProtocol

/// One tool call's connection to the daemon: raw JSON calls, with every
/// failure turned into what the assistant reads (`MCPToolResult.failure`),
/// and a cancellation of the call waking a read blocked on the socket.
final class MCPDaemonCall {
    /// A failure the tool reports (as `isError`), never a protocol error.
    struct Failure: Error {
        let message: String
    }

    let client: DaemonClient

    init(options: DaemonClient.Options) throws(Failure) {
        do {
            client = try DaemonClient.connect(options)
        } catch {
            throw Failure(message: Self.unreachable(error.description))
        }
    }

    deinit { client.close() }

    /// Calls `method`; a refusal of an argument names it as the tool does.
    func call(_ method: String, _ params: JSONObject) throws(Failure) -> JSON {
        do {
            return try client.call(method, params: .object(params))
        } catch {
            throw Failure(message: Self.message(error))
        }
    }

    /// Calls `method` for a request that is not a tool call (resources,
    /// tasks): failures are protocol errors, and the daemon's "no such job"
    /// is what `jobNotFound` makes of it (given the daemon's error).
    static func protocolCall(
        _ options: DaemonClient.Options, _ method: String, _ params: JSONObject, jobNotFound: (RPCError) -> MCPProtocolError
    ) throws(MCPProtocolError) -> JSON {
        let daemon: MCPDaemonCall
        do {
            daemon = try MCPDaemonCall(options: options)
        } catch {
            throw MCPProtocolError(.internalError, error.message)
        }
        do {
            return try daemon.client.call(method, params: .object(params))
        } catch {
            if case .call(.server(let rpcError)) = error {
                if rpcError.code == ApplicationError.jobNotFound.code { throw jobNotFound(rpcError) }
                throw MCPProtocolError(rpcError.code, rpcError.message)
            }
            throw MCPProtocolError(.internalError, message(error))
        }
    }

    /// Runs `body` so that a cancellation of the request shuts the socket
    /// (a blocked read returns at once).
    func whileWaiting<Result>(_ cancellation: MCPCancellation, _ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        let socket = client.rpc.descriptor
        return try cancellation.whileWaiting(wake: { TCPSocket.shutdown(socket) }, body)
    }

    static func message(_ error: DaemonClientError) -> String {
        switch error {
        case .call(.server(let rpcError)) where rpcError.code == .invalidParams:
            if let field = rpcError.data?["field"]?.stringValue, let detail = rpcError.data?["detail"]?.stringValue {
                return "\(argument(field)): \(detail)"
            }
            return rpcError.message
        case .call(.server(let rpcError)):
            return rpcError.message
        case .call(.connectionClosed), .call(.io):
            return "the visioncraft daemon closed the connection (it stopped or restarted): \(error.description). Jobs already submitted are kept; call again once it is back (any call starts it), or run 'vcctl status'."
        case .call:
            return error.description
        case .unavailable, .startFailed, .socketMissing, .untrustedServer, .invalidPath:
            return unreachable(error.description)
        }
    }

    /// The tool's argument for a field the daemon named ("params.init_images[0]").
    static func argument(_ field: String) -> String {
        let name = field.hasPrefix("params.") ? String(field.dropFirst(7)) : field
        let base = String(name.prefix { $0 != "[" && $0 != "." })
        return base == "init_images" ? MCPToolCatalog.initImageArgument : name
    }

    private static func unreachable(_ detail: String) -> String {
        // The client's own text says what to do when it knows (a missing socket, a refused start).
        let advice = detail.contains("vcctl daemon start") ? "" : " Start it with 'vcctl daemon start' (its log says why it stopped), or check 'vcctl status'."
        return "the visioncraft daemon cannot be reached: \(detail.hasSuffix(".") ? String(detail.dropLast()) : detail).\(advice) Jobs already submitted are kept."
    }
}
