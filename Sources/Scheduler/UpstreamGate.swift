import Posix

/// Paces upstream requests for the whole daemon: at most N in flight, at most
/// M generations started per minute, and a queue-wide pause (after a rate
/// limit, every job waits, not each on its own: no retry storms).
final class UpstreamGate: Sendable {
    private struct State {
        var inFlight = 0
        /// Start times of recent generations (monotonic ns), oldest first.
        var recentStarts: [Int64] = []
        /// No generation starts before this (monotonic ns).
        var pausedUntil: Int64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWaiter: UInt64 = 0
    }

    private let state = Lock(State())
    let maximumInFlight: Int
    let requestsPerMinute: Int

    init(maximumInFlight: Int, requestsPerMinute: Int) {
        self.maximumInFlight = max(1, maximumInFlight)
        self.requestsPerMinute = max(0, requestsPerMinute)
    }

    /// Waits for a slot (and, for a generation, for the rate limit and any
    /// pause), then takes it. Cancellation ends the wait with an error.
    func acquire(generation: Bool) async throws {
        while true {
            try Task.checkCancellation()
            let now = MonotonicInstant.now().nanoseconds
            let wait: Int64? = state.withLock { state in
                guard state.inFlight < maximumInFlight else { return -1 }
                if generation {
                    if state.pausedUntil > now { return state.pausedUntil - now }
                    if requestsPerMinute > 0 {
                        let windowStart = now - 60_000_000_000
                        state.recentStarts.removeAll { $0 <= windowStart }
                        if state.recentStarts.count >= requestsPerMinute {
                            return state.recentStarts[0] + 60_000_000_000 - now
                        }
                        state.recentStarts.append(now)
                    }
                }
                state.inFlight += 1
                return nil
            }
            guard let wait else { return }
            if wait < 0 {
                await waitForRelease()
            } else {
                try await Task.sleep(for: .nanoseconds(wait))
            }
        }
    }

    /// Gives a slot back.
    func release() {
        let waiters = state.withLock { state in
            state.inFlight -= 1
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// No generation starts before `until` (keeps the later of two pauses).
    func pause(until: MonotonicInstant) {
        state.withLock { $0.pausedUntil = max($0.pausedUntil, until.nanoseconds) }
    }

    /// The pause in force, if any.
    var pausedUntil: MonotonicInstant? {
        let until = state.withLock { $0.pausedUntil }
        return until > MonotonicInstant.now().nanoseconds ? MonotonicInstant(nanoseconds: until) : nil
    }

    private func waitForRelease() async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.inFlight < maximumInFlight || Task.isCancelled { return true }
                    state.waiters.append((id, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }
}
