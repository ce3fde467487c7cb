import Posix

/// A1111's `queue_lock`: one generation at a time, the others waiting in
/// arrival order. A waiting request suspends its task, never a thread.
final class GenerationQueue: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Lock(State())

    /// Waits for the queue's turn; `release()` must follow.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    /// Hands the turn to the longest waiter, if any.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Requests waiting for their turn.
    var waiting: Int { state.withLock { $0.waiters.count } }
}
