/// Why a job's last attempt failed, or why it waits: one closed set, stored,
/// sent and shown by its raw value (`rate_limited`).
public enum FailureKind: String, Sendable, CaseIterable, Equatable, CustomStringConvertible {
    /// A passing failure of the backend (connection, timeout, 5xx): retried
    /// with backoff.
    case transient
    /// The backend limits requests: the queue waits, no attempt counted.
    case rateLimited = "rate_limited"
    /// No key, or the key was refused: the queue waits for a new one.
    case auth
    /// The backend says the account has no credit left.
    case quota
    /// The request is wrong: fix it and submit again.
    case invalid
    /// Any other refusal no retry can cure.
    case permanent
    /// The backend answered something it does not document.
    case `protocol`
    /// An image could not be downloaded.
    case download
    /// The job database or the output folder failed.
    case storage
    /// A plugin step failed.
    case plugin
    /// An image kept arriving corrupt, or passes an image limit.
    case image
    /// The daemon died while it ran the job.
    case crashed
    /// The stored job does not read back (a damaged or hand-edited database).
    case corruptJob = "corrupt_job"
    /// The job's backend is not in the configuration: it waits until it is.
    case backendMissing = "backend_missing"

    public var description: String { rawValue }
}
