/// How the scheduler paces the upstream and retries (see visioncraftd(8)).
public struct SchedulerConfiguration: Sendable, Equatable {
    /// Upstream requests in flight at most (generations and downloads of
    /// different jobs run side by side up to this).
    public var maximumInFlight: Int = 2
    /// Generation requests started per minute at most; 0 for no limit.
    public var requestsPerMinute: Int = 60
    public var retry = RetryPolicy()
    /// What jobs that do not say get; `JobScheduler.updateDefaults` changes
    /// them while it runs (a configuration reload).
    public var defaults: JobDefaults
    /// Where images go when a job names no folder (as at start).
    public var outputDirectory: String { defaults.outputDirectory }
    /// How long one plugin hook may run before its step fails and the
    /// plugin is marked hung.
    public var pluginTimeout: Duration = .seconds(60)
    /// What images that go through image plugins may cost.
    public var imageLimits: ImageLimits

    public init(outputDirectory: String, imageLimits: ImageLimits) {
        defaults = JobDefaults(outputDirectory: outputDirectory)
        self.imageLimits = imageLimits
    }
}

/// The memory images may take on their way through image plugins (the
/// daemon's settings give the values; see visioncraftd(8)).
public struct ImageLimits: Sendable, Equatable {
    /// Bytes of decoded pixels all jobs together may hold at once: inputs,
    /// plugin results and plugins' declared working memory.
    public var memoryBudget: Int
    /// The most pixels a downloaded image may have to be decoded.
    public var maximumInputPixels: Int
    /// The most pixels an image plugin may return.
    public var maximumOutputPixels: Int

    /// The unit the settings count pixels in: 2^20, so a 1024x1024 image is 1.
    public static let megapixel = 1 << 20

    public init(memoryBudget: Int, maximumInputPixels: Int, maximumOutputPixels: Int) {
        self.memoryBudget = memoryBudget
        self.maximumInputPixels = maximumInputPixels
        self.maximumOutputPixels = maximumOutputPixels
    }
}

/// The defaults of new jobs (from the configuration file).
public struct JobDefaults: Sendable, Equatable {
    public var outputDirectory: String
    public var model = "anything_V5"
    public var sampler = "Euler"
    /// nil: 10 (7 for image-to-image).
    public var cfgScale: Double?
    /// nil: 30 (50 for image-to-image).
    public var steps: Int?
    /// The plugin chain of jobs that name none.
    public var pluginChain: [String] = []

    public init(outputDirectory: String) {
        self.outputDirectory = outputDirectory
    }
}

/// Exponential backoff with full jitter (a random delay between zero and the
/// exponential bound, so that clients that failed together do not retry
/// together), capped, with a maximum number of attempts.
public struct RetryPolicy: Sendable, Equatable {
    /// The bound of the first retry's delay.
    public var base: Duration = .seconds(2)
    /// The largest delay.
    public var cap: Duration = .seconds(300)
    /// Attempts that count (transient failures) before the job fails.
    public var maximumAttempts = 8
    /// The wait after a rate limit that did not say how long.
    public var rateLimitDelay: Duration = .seconds(60)
    /// Download tries of one image before the job waits for its next attempt.
    public var downloadTries = 3

    public init() {}

    /// The delay before attempt `attempt + 1`, given `attempt` failed attempts
    /// so far (1 for the first failure), drawn from `random` in 0..<1.
    public func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let bound = min(Double(base.nanoseconds) * Double(1 << exponent), Double(cap.nanoseconds))
        return .nanoseconds(Int64(bound * min(max(random, 0), 1)))
    }
}
