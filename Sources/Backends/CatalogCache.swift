import Posix

/// A backend's lists (models, samplers, ...): fetched once for every caller
/// waiting at the time, kept for `lifetime`, and a failure remembered for
/// `retryDelay` so that a service that is down is not asked on every call.
package final class CatalogCache<Value: Sendable, Failure: Error>: Sendable {
    private enum State {
        case empty
        case fetching(Task<Value, any Error>)
        case fetched(Value, at: MonotonicInstant)
        case failed(Failure, at: MonotonicInstant)
    }

    private enum Step {
        case ready(Value)
        case failed(Failure)
        case wait(Task<Value, any Error>)
    }

    package let lifetime: Duration
    package let retryDelay: Duration
    private let state = Lock<State>(.empty)

    package init(lifetime: Duration, retryDelay: Duration) {
        self.lifetime = lifetime
        self.retryDelay = retryDelay
    }

    /// The kept value, or the one `fetch` gives (one fetch for every caller
    /// at the time). `unexpected` classifies what a fetch throws besides a
    /// `Failure` (a cancelled task).
    package func value(
        fetch: @escaping @Sendable () async throws(Failure) -> Value, unexpected: (any Error) -> Failure
    ) async throws(Failure) -> Value {
        let (lifetime, retryDelay) = (self.lifetime, self.retryDelay)
        let step = state.withLock { state -> Step in
            switch state {
            case .fetched(let value, let at) where at.elapsed < lifetime:
                return .ready(value)
            case .failed(let error, let at) where at.elapsed < retryDelay:
                return .failed(error)
            case .fetching(let task):
                return .wait(task)
            default:
                let task = Task { [self] () throws -> Value in
                    do throws(Failure) {
                        let value = try await fetch()
                        self.state.withLock { $0 = .fetched(value, at: .now()) }
                        return value
                    } catch {
                        self.state.withLock { $0 = .failed(error, at: .now()) }
                        throw error
                    }
                }
                state = .fetching(task)
                return .wait(task)
            }
        }
        switch step {
        case .ready(let value):
            return value
        case .failed(let error):
            throw error
        case .wait(let task):
            do {
                return try await task.value
            } catch {
                throw (error as? Failure) ?? unexpected(error)
            }
        }
    }

    /// Forgets the kept value (after the service refused a name, or to
    /// refresh it); a fetch under way is fresh enough and stays.
    package func invalidate() {
        state.withLock { state in
            if case .fetching = state { return }
            state = .empty
        }
    }

    /// Whether the value (or a recent failure to get it) is at hand, so that
    /// a caller is answered without asking the service.
    package var isSettled: Bool {
        let (lifetime, retryDelay) = (self.lifetime, self.retryDelay)
        return state.withLock { state in
            switch state {
            case .fetched(_, let at): at.elapsed < lifetime
            case .failed(_, let at): at.elapsed < retryDelay
            case .empty, .fetching: false
            }
        }
    }
}
