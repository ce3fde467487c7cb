import Backends
import JSON
import JSONRPC
import VisionCraftProtocol

extension BackendFailure {
    /// The JSON-RPC error a client receives for this failure (codes -32010..).
    var rpcError: RPCError {
        switch self {
        case .transient(_, let retryAfter):
            ApplicationError.upstreamUnavailable(description, extra: Self.retryAfter(retryAfter))
        case .remoteLost:
            ApplicationError.upstreamUnavailable(description)
        case .rateLimited(_, let retryAfter):
            ApplicationError.rateLimited(description, extra: Self.retryAfter(retryAfter))
        case .keyRefused:
            ApplicationError.keyRejected(description + " (vcctl key set stores a new key)")
        case .invalid(_, let field):
            ApplicationError.upstreamRejected(description, extra: field.map { ["field": .string($0)] } ?? [:])
        case .quota, .permanent:
            ApplicationError.upstreamRejected(description)
        case .protocolViolation:
            ApplicationError.upstreamProtocol(description)
        }
    }

    private static func retryAfter(_ delay: Duration?) -> JSONObject {
        guard let delay else { return [:] }
        return ["retry_after_seconds": .number(JSONNumber(delay.seconds) ?? JSONNumber(0))]
    }
}
