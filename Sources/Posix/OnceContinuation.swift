
/// A continuation that several racers may try to resume (an answer and a
/// timer, say): the first wins, the others are ignored.
public final class OnceContinuation<Value: Sendable>: Sendable {
    private let pending: Lock<CheckedContinuation<Value, Never>?>

    public init(_ continuation: CheckedContinuation<Value, Never>) {
        pending = Lock(continuation)
    }

    /// Resumes the continuation if nobody has yet.
    public func resume(_ value: Value) {
        let continuation = pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
        continuation?.resume(returning: value)
    }
}

/// Runs blocking work (a system call that may wait, foreign code) on a
/// thread of its own and awaits its result, so that the task pool never
/// blocks.
public func onOwnThread<T: Sendable>(name: String = "vc-blocking", _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        do {
            let thread = try OSThread.spawn(name: name) { continuation.resume(with: Result { try body() }) }
            thread.detach()
        } catch {
            continuation.resume(throwing: error)
        }
    }
}
