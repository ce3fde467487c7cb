import Synchronization

/// A continuation that several racers may try to resume: the first wins,
/// the others are ignored.
final class OnceContinuation<Value: Sendable>: Sendable {
    private let pending: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        pending = Mutex(continuation)
    }

    func resume(_ value: Value) {
        let continuation = pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
        continuation?.resume(returning: value)
    }
}
