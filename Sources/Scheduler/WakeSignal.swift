import Posix


/// Wakes one waiting task (the dispatcher): a notification that arrives while
/// nobody waits is kept for the next wait.
final class WakeSignal: Sendable {
    private let state = Lock<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func notify() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next notification, or after `timeout`.
    func wait(timeout: Duration?) async {
        let timer = timeout.map { delay in
            Task { [weak self] in
                try? await Task.sleep(for: delay)
                self?.notify()
            }
        }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
        timer?.cancel()
    }
}
