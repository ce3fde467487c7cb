import Jobs

/// A job as a listing line shows it (`job.list` with `summary`): read from
/// the jobs table in one query, without its parameters, labels or images.
public struct JobSummaryRecord: Sendable, Equatable {
    public var id: String
    public var state: JobState
    public var imageCount: Int
    /// Images saved so far.
    public var imagesDone: Int
    /// Milliseconds since 1970.
    public var createdAt: Int64
    public var prompt: String

    public init(id: String, state: JobState, imageCount: Int, imagesDone: Int, createdAt: Int64, prompt: String) {
        self.id = id
        self.state = state
        self.imageCount = imageCount
        self.imagesDone = imagesDone
        self.createdAt = createdAt
        self.prompt = prompt
    }
}
