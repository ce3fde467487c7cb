import Jobs
import JobStore

/// A job as the queue holds it, with its place in the queue.
package struct QueuedJob: Sendable, Equatable {
    package var record: JobRecord
    /// How many jobs run before it (`JobStore.position`); meaningful while
    /// it is queued.
    package var position: Int

    package init(record: JobRecord, position: Int) {
        self.record = record
        self.position = position
    }
}

extension JobScheduler {
    /// What a submit committed (or found, for a repeated idempotency key).
    package struct Submission: Sendable, Equatable {
        /// The first job's id and state.
        package var id: String
        package var state: JobState
        /// The first job's place in the queue.
        package var position: Int
        /// Whether the idempotency key named a job submitted before.
        package var existing: Bool
        /// Every job the submit made (a prompt plugin may make several).
        package var ids: [String]
    }

    /// What a delete removed.
    package struct Deletion: Sendable, Equatable {
        package var deleted: [String]
        package var filesRemoved: Int
        /// Why files that were meant to go could not.
        package var fileErrors: [String]
    }

    /// How a wait ended: the job as it is then, and whether the time ran out first.
    package struct WaitOutcome: Sendable, Equatable {
        package var job: QueuedJob
        package var timedOut: Bool
    }
}
