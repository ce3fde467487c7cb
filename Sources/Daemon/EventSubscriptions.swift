import Backends
import JobStore
import JSON
import JSONRPC
import JSONRPCServer
import Posix
import VisionCraftProtocol

/// The connections that asked for events, and how events reach them: a
/// `job.updated` notification per change, written without ever waiting. A
/// subscriber whose unread output passes `bufferLimit` loses events (they are
/// counted) and is told with `events.dropped` once it catches up: a slow
/// reader never slows the daemon or the other subscribers.
final class EventSubscriptions: Sendable {
    private struct Subscriber {
        let session: RPCSession
        var dropped = 0
    }

    private let subscribers = Lock<[UInt64: Subscriber]>([:])
    let bufferLimit: Int

    init(bufferLimit: Int = 256 << 10) {
        self.bufferLimit = bufferLimit
    }

    func subscribe(_ session: RPCSession) {
        subscribers.withLock { $0[session.connectionID] = $0[session.connectionID] ?? Subscriber(session: session) }
    }

    func unsubscribe(_ connectionID: UInt64) {
        _ = subscribers.withLock { $0.removeValue(forKey: connectionID) }
    }

    var count: Int { subscribers.withLock { $0.count } }

    /// Sends `job`'s change, or its generation's progress, to every
    /// subscriber (from whichever thread changed it).
    func publish(_ job: JobRecord, progress: GenerationProgress? = nil) {
        // Most changes have nobody to tell: no notification is built for them.
        guard !subscribers.withLock({ $0.isEmpty }) else { return }
        var update = JobUpdated(
            id: job.id, state: job.state, imagesDone: job.imagesDone, imageCount: job.imageCount, attempts: job.attempts,
            nextAttemptAt: job.state == .queued ? job.nextAttemptAt.map { WallClock(milliseconds: $0).iso8601 } : nil,
            error: job.error.map { JobInfo.Failure(kind: $0.kind, message: $0.message) }
        )
        update.progress = progress?.fraction
        update.remainingSeconds = progress?.remaining?.seconds
        let notification = RPCNotification(method: JobUpdated.method, params: update.params)
        subscribers.withLock { subscribers in
            for (id, var subscriber) in subscribers {
                let session = subscriber.session
                if session.isClosed {
                    subscribers.removeValue(forKey: id)
                    continue
                }
                if session.pendingOutputCount > bufferLimit {
                    subscriber.dropped += 1
                    subscribers[id] = subscriber
                    continue
                }
                if subscriber.dropped > 0 {
                    session.notify(RPCNotification(method: JobUpdated.droppedMethod, params: ["count": .number(JSONNumber(subscriber.dropped))]))
                    subscriber.dropped = 0
                    subscribers[id] = subscriber
                }
                session.notify(notification)
            }
        }
    }
}
