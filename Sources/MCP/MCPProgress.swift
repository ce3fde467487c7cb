import JSON
import Posix

/// Progress of one request, sent as `notifications/progress` when the
/// client gave a `progressToken`; a no-op otherwise.
///
/// The spec wants progress to increase with every notification: a value
/// not above the last one sent is dropped, as is anything after the request
/// was cancelled (nothing more may be sent for it).
public final class MCPProgress: Sendable {
    private let token: JSON?
    private let send: @Sendable (JSON) -> Void
    private let cancellation: MCPCancellation
    private let last = Lock<Double?>(nil)

    init(token: JSON?, cancellation: MCPCancellation, send: @escaping @Sendable (JSON) -> Void) {
        self.token = token
        self.cancellation = cancellation
        self.send = send
    }

    /// Whether the client asked for progress.
    public var isRequested: Bool { token != nil }

    /// Reports `progress` (of `total`, when known) with a line a person reads.
    public func report(_ progress: Double, total: Double?, message: String?) {
        guard let token, !cancellation.isCancelled, progress.isFinite else { return }
        let isNew = last.withLock { last in
            if let previous = last, progress <= previous { return false }
            last = progress
            return true
        }
        guard isNew else { return }
        var params: JSONObject = ["progressToken": token, "progress": JSON(floatLiteral: progress)]
        if let total, total.isFinite { params["total"] = JSON(floatLiteral: total) }
        if let message { params["message"] = .string(message) }
        send(["jsonrpc": "2.0", "method": "notifications/progress", "params": .object(params)])
    }
}
