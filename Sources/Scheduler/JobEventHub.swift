import Backends
import Jobs
import JobStore
import Posix

/// Who hears about job changes: subscribers (the daemon's `events.subscribe`
/// connections) and `job.wait` callers waiting for one job to finish.
package final class JobEventHub: Sendable {
    private struct State {
        var subscribers: [UInt64: @Sendable (JobRecord, GenerationProgress?) -> Void] = [:]
        var waiters: [String: [Waiter]] = [:]
        var nextID: UInt64 = 0
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<WaitEnd, Never>
        /// Whether a published change ends this wait.
        let ends: @Sendable (JobRecord) -> Bool
        /// Checks the job, then sleeps out the timeout; cancelled when the
        /// job finishes first.
        var timer: Task<Void, Never>?
    }

    private let state = Lock(State())

    package init() {}

    /// Calls `handler` with every changed job, and with a running job's
    /// progress while its backend reports it (on the thread that changed
    /// it: keep it short and non-blocking). Returns the subscription's id.
    package func subscribe(_ handler: @escaping @Sendable (JobRecord, GenerationProgress?) -> Void) -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = handler
            return state.nextID
        }
    }

    package func unsubscribe(_ id: UInt64) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    /// Tells everyone that `job` changed.
    package func publish(_ job: JobRecord) {
        let (handlers, finished) = state.withLock { state -> ([@Sendable (JobRecord, GenerationProgress?) -> Void], [Waiter]) in
            var finished: [Waiter] = []
            if let waiting = state.waiters[job.id] {
                finished = waiting.filter { $0.ends(job) }
                let remaining = waiting.filter { !$0.ends(job) }
                state.waiters[job.id] = remaining.isEmpty ? nil : remaining
            }
            return (Array(state.subscribers.values), finished)
        }
        for handler in handlers { handler(job, nil) }
        for waiter in finished {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .ended(job))
        }
    }

    /// Tells subscribers how far running `job`'s generation is (waiters
    /// wait for changes of the job itself, which this is not).
    package func publish(_ job: JobRecord, progress: GenerationProgress) {
        let handlers = state.withLock { Array($0.subscribers.values) }
        for handler in handlers { handler(job, progress) }
    }

    /// How a `waitForTerminal` ended.
    package enum WaitEnd: Sendable, Equatable {
        /// The job is in a state `ends` accepts, as it was then (nil: it
        /// could not be read).
        case ended(JobRecord?)
        case timedOut
    }

    /// Waits until job `id` is published in a state that `ends` accepts
    /// (true) or `timeout` passes (false). `isTerminal` is asked after the
    /// waiter is in place, so a job that finishes in between is not missed.
    package func waitForTerminal(
        _ id: String, timeout: Duration, ends: @escaping @Sendable (JobRecord) -> Bool = { $0.state.isTerminal },
        isTerminal: @escaping @Sendable () async -> Bool
    ) async -> Bool {
        await waitForEnd(id, timeout: timeout, ends: ends) { await isTerminal() ? .ended(nil) : nil } != .timedOut
    }

    /// Waits until job `id` is published in a state that `ends` accepts, or
    /// `timeout` passes. `check` (how the wait ends now, nil: it goes on)
    /// is asked after the waiter is in place, so a job that finishes in
    /// between is not missed.
    package func waitForEnd(
        _ id: String, timeout: Duration, ends: @escaping @Sendable (JobRecord) -> Bool, check: @escaping @Sendable () async -> WaitEnd?
    ) async -> WaitEnd {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withCheckedContinuation { continuation in
            state.withLock { $0.waiters[id, default: []].append(Waiter(id: waiterID, continuation: continuation, ends: ends)) }
            let timer = Task {
                if let end = await check() {
                    self.resolve(id, waiterID, with: end)
                    return
                }
                try? await Task.sleep(for: timeout)
                self.resolve(id, waiterID, with: .timedOut)
            }
            let stillWaiting = state.withLock { state -> Bool in
                guard let index = state.waiters[id]?.firstIndex(where: { $0.id == waiterID }) else { return false }
                state.waiters[id]?[index].timer = timer
                return true
            }
            if !stillWaiting { timer.cancel() }
        }
    }

    /// Answers every `waitForTerminal` now with `timedOut` (the daemon is stopping).
    package func releaseWaiters() {
        let all = state.withLock { state -> [Waiter] in
            defer { state.waiters.removeAll() }
            return state.waiters.values.flatMap { $0 }
        }
        for waiter in all {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .timedOut)
        }
    }

    private func resolve(_ id: String, _ waiterID: UInt64, with value: WaitEnd) {
        let continuation = state.withLock { state -> CheckedContinuation<WaitEnd, Never>? in
            guard var list = state.waiters[id], let index = list.firstIndex(where: { $0.id == waiterID }) else { return nil }
            let waiter = list.remove(at: index)
            state.waiters[id] = list.isEmpty ? nil : list
            return waiter.continuation
        }
        continuation?.resume(returning: value)
    }
}
