import Jobs

/// A job as the store keeps it.
public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var state: JobState
    public var priority: Int
    /// The job's parameters as JSON text (opaque to the store).
    public var parameters: String
    /// The prompt, for searching.
    public var prompt: String
    public var labels: [String]
    public var outputDirectory: String?
    public var idempotencyKey: String?
    public var imageCount: Int
    /// Upstream attempts that failed and counted (rate limits and auth
    /// pauses do not count).
    public var attempts: Int
    /// When the next attempt may start (milliseconds since 1970), if waiting.
    public var nextAttemptAt: Int64?
    /// The last failure.
    public var error: JobFailure?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var images: [ImageRecord]
    /// The backend it runs on (its request names the same).
    public var backend: String = JobField.implicitBackend

    /// Images saved so far.
    public var imagesDone: Int { images.count { $0.state == .saved } }
}

/// Why a job's last attempt failed: its kind and message.
public struct JobFailure: Sendable, Equatable {
    public var kind: FailureKind
    public var message: String

    public init(kind: FailureKind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The failure as stored. A kind this daemon does not know (a newer
    /// daemon's, a hand edit) is not passed off as one it knows: it reads
    /// as a corrupt job that says what was stored, the message kept.
    init(storedKind: String, message: String) {
        if let kind = FailureKind(rawValue: storedKind) {
            self.init(kind: kind, message: message)
        } else {
            self.init(kind: .corruptJob, message: "the stored failure kind '\(storedKind)' is not one this daemon knows: \(message)")
        }
    }

    /// The daemon stopped without a word (a crash, a kill, a power loss)
    /// while it worked on the job, `attempts` times in all counting its
    /// other failures; `final` when that was the last attempt allowed.
    static func crashed(attempts: Int, limit: Int, final: Bool) -> JobFailure {
        let what = "the daemon stopped (a crash, a kill or a power loss) while working on this job"
        guard final else { return JobFailure(kind: .crashed, message: "\(what); attempt \(attempts) of \(limit)") }
        return JobFailure(
            kind: .crashed,
            message: "\(what), and that was attempt \(attempts) of \(limit): it is not started again, so that a job that brings "
                + "the daemon down cannot do it forever (vcctl retry starts it once more)"
        )
    }
}

/// One image of a job.
public struct ImageRecord: Sendable, Equatable {
    /// 0-based position in the job.
    public var index: Int
    /// Which upstream request makes it (index / 5).
    public var request: Int
    public var state: ImageState
    public var url: String?
    public var path: String?
    /// Why the image was last made again (its URL was dead, or it arrived
    /// corrupt), kept through its new generation until it is saved or the
    /// job is retried: the scheduler makes a corrupt image again only once.
    public var error: String?
    /// How many of the job's file hooks, in chain order, have run on the
    /// saved image.
    public var fileHooksDone: Int = 0
    /// The remote job its request became on a backend that answers so, while
    /// it is followed (`JobStore.recordRemote`).
    public var remoteID: String?
}

/// A job to insert.
public struct NewJob: Sendable, Equatable {
    public var id: String
    public var priority: Int
    public var parameters: String
    public var prompt: String
    public var labels: [String]
    public var outputDirectory: String?
    public var idempotencyKey: String?
    public var imageCount: Int
    /// How many images one upstream request makes (5 for /generate, 1 for /img2img).
    public var imagesPerRequest: Int
    /// The backend it runs on.
    public var backend: String
    public var createdAt: Int64

    public init(
        id: String, priority: Int = 0, parameters: String, prompt: String, labels: [String] = [], outputDirectory: String? = nil,
        idempotencyKey: String? = nil, imageCount: Int, imagesPerRequest: Int = 5, backend: String = JobField.implicitBackend, createdAt: Int64
    ) {
        self.id = id
        self.priority = priority
        self.parameters = parameters
        self.prompt = prompt
        self.labels = labels
        self.outputDirectory = outputDirectory
        self.idempotencyKey = idempotencyKey
        self.imageCount = imageCount
        self.imagesPerRequest = max(1, imagesPerRequest)
        self.backend = backend
        self.createdAt = createdAt
    }
}
