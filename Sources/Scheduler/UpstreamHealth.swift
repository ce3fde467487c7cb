import Jobs
import Posix

/// How the upstream has been doing, as the jobs found it: the last request
/// it answered, the last one that failed and why, a rate-limit pause in
/// force and when the next job is due to try again. What `vcctl status`
/// shows a user whose jobs have stopped moving.
public final class UpstreamHealth: Sendable {
    /// What is known now. Times are milliseconds since 1970.
    public struct Snapshot: Sendable, Equatable {
        /// The last generation the upstream answered.
        public var lastSuccessAt: Int64?
        /// The last request that failed, its kind (`transient`, `rate_limited`,
        /// `auth`, ...) and message (already free of the key).
        public var lastFailureAt: Int64?
        public var lastFailureKind: FailureKind?
        public var lastFailureMessage: String?
        /// No generation starts before this (a rate limit), and why.
        public var pausedUntil: Int64?
        public var pauseReason: String?
        /// When the soonest job waiting for a retry is due.
        public var nextAttemptAt: Int64?

        public init() {}
    }

    private let state = Lock(Snapshot())

    public init() {}

    /// What is known now; a pause that has run out is left out.
    public func snapshot(now: Int64 = WallClock.now().milliseconds) -> Snapshot {
        var snapshot = state.withLock { $0 }
        if let until = snapshot.pausedUntil, until <= now {
            snapshot.pausedUntil = nil
            snapshot.pauseReason = nil
        }
        if let next = snapshot.nextAttemptAt, next <= now { snapshot.nextAttemptAt = nil }
        return snapshot
    }

    func recordSuccess(now: Int64) {
        state.withLock { $0.lastSuccessAt = now }
    }

    func recordFailure(kind: FailureKind, message: String, now: Int64) {
        state.withLock { state in
            state.lastFailureAt = now
            state.lastFailureKind = kind
            state.lastFailureMessage = message
        }
    }

    /// A pause until `until`; the later of two wins, as in the gate.
    func recordPause(until: Int64, reason: String) {
        state.withLock { state in
            if state.pausedUntil.map({ until >= $0 }) ?? true {
                state.pausedUntil = until
                state.pauseReason = reason
            }
        }
    }

    /// The soonest retry, as the dispatcher read it from the store.
    func recordNextAttempt(at time: Int64?) {
        state.withLock { $0.nextAttemptAt = time }
    }

    /// A job was just put off until `time`: sooner than the dispatcher's
    /// last reading, or the first since that reading ran out.
    func recordRetry(at time: Int64, now: Int64) {
        state.withLock { state in
            if let next = state.nextAttemptAt, next > now, next <= time { return }
            state.nextAttemptAt = time
        }
    }
}
