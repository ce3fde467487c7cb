import Posix

/// Whether the client cancelled a request (`notifications/cancelled`), and
/// what wakes the work that waits for it.
///
/// A call that blocks (on the daemon's socket, say) registers a handler
/// that unblocks it for as long as it blocks; a cancellation runs the
/// handlers registered then, and a handler registered after it runs at once.
public final class MCPCancellation: Sendable {
    private struct State {
        var reason: String?
        var isCancelled = false
        var nextToken = 0
        var handlers: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Lock(State())

    public init() {}

    /// Whether the request was cancelled.
    public var isCancelled: Bool { state.withLock { $0.isCancelled } }

    /// The client's reason, when it gave one.
    public var reason: String? { state.withLock { $0.reason } }

    /// Runs `body` with `wake` registered: a cancellation meanwhile calls it
    /// (once, on the thread that read the notification).
    public func whileWaiting<Result, Failure: Error>(
        wake: @escaping @Sendable () -> Void, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let token: Int? = state.withLock { state in
            guard !state.isCancelled else { return nil }
            let token = state.nextToken
            state.nextToken += 1
            state.handlers[token] = wake
            return token
        }
        guard let token else {
            wake()
            return try body()
        }
        defer { _ = state.withLock { $0.handlers.removeValue(forKey: token) } }
        return try body()
    }

    /// Marks the request cancelled and wakes what waits.
    public func cancel(reason: String?) {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.isCancelled else { return [] }
            state.isCancelled = true
            state.reason = reason
            defer { state.handlers.removeAll() }
            return Array(state.handlers.values)
        }
        for handler in handlers { handler() }
    }
}
