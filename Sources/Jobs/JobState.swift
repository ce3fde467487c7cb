/// Where a job is in its life.
public enum JobState: String, Sendable, CaseIterable, Equatable {
    /// Waiting for its turn (or for a retry time).
    case queued
    /// The scheduler is working on it.
    case running
    /// Every image is saved.
    case succeeded
    /// It cannot succeed without a change (the error says why); `job.retry`
    /// queues it again.
    case failed
    /// Cancelled by a client.
    case cancelled

    /// Succeeded, failed or cancelled: nothing more happens unless retried.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .queued, .running: false
        }
    }
}

/// Where one image of a job is.
public enum ImageState: String, Sendable, CaseIterable, Equatable {
    /// Not generated yet.
    case pending
    /// The upstream returned its URL; not saved yet.
    case generated
    /// Saved at `path`.
    case saved
    /// Given up on (the job's error says why).
    case failed
}
