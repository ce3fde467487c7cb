import Jobs
import JobStore

/// A job as the queue holds it, with its place in the queue.
public struct QueuedJob: Sendable, Equatable {
    public var record: JobRecord
    /// How many jobs run before it (`JobStore.position`); meaningful while
    /// it is queued.
    public var position: Int

    public init(record: JobRecord, position: Int) {
        self.record = record
        self.position = position
    }
}

extension JobScheduler {
    /// What a submit committed (or found, for a repeated idempotency key).
    public struct Submission: Sendable, Equatable {
        /// The first job's id and state.
        public var id: String
        public var state: JobState
        /// The first job's place in the queue.
        public var position: Int
        /// Whether the idempotency key named a job submitted before.
        public var existing: Bool
        /// Every job the submit made (a prompt plugin may make several).
        public var ids: [String]
    }

    /// What a delete removed.
    public struct Deletion: Sendable, Equatable {
        public var deleted: [String]
        public var filesRemoved: Int
        /// Why files that were meant to go could not.
        public var fileErrors: [String]
    }

    /// How a wait ended: the job as it is then, and whether the time ran out first.
    public struct WaitOutcome: Sendable, Equatable {
        public var job: QueuedJob
        public var timedOut: Bool
    }
}
