import Configuration
import Jobs

/// How the scheduler paces the upstream and retries (see visioncraftd(8)),
/// from the daemon's settings: their defaults are the only ones.
public struct SchedulerConfiguration: Sendable, Equatable {
    /// Upstream requests in flight at most (generations and downloads of
    /// different jobs run side by side up to this).
    public var maximumInFlight: Int
    /// Generation requests started per minute at most; 0 for no limit.
    public var requestsPerMinute: Int
    public var retry: RetryPolicy
    /// What jobs that do not say get; `JobScheduler.updateDefaults` changes
    /// them while it runs (a configuration reload).
    public var defaults: JobDefaults
    /// Where images go when a job names no folder (as at start).
    public var outputDirectory: String { defaults.outputDirectory }
    /// How long one plugin hook may run before its step fails and the
    /// plugin is marked hung.
    public var pluginTimeout: Duration
    /// What images that go through image plugins may cost.
    public var imageLimits: ImageLimits

    /// The configuration `settings` give, images going to `outputDirectory`
    /// unless a job names a folder.
    public init(settings: Settings = Settings(), outputDirectory: String) {
        maximumInFlight = settings.maxInFlight
        requestsPerMinute = settings.requestsPerMinute
        retry = RetryPolicy(settings: settings)
        defaults = JobDefaults(settings: settings, outputDirectory: outputDirectory)
        pluginTimeout = Settings.duration(settings.pluginTimeout)
        imageLimits = ImageLimits(settings: settings)
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

    /// The limits `settings` give (MiB and megapixels become bytes and pixels).
    public init(settings: Settings) {
        self.init(
            memoryBudget: settings.imageMemory << 20, maximumInputPixels: settings.maxInputMegapixels * Self.megapixel,
            maximumOutputPixels: settings.maxOutputMegapixels * Self.megapixel
        )
    }
}

/// The defaults of new jobs (from the configuration file).
public struct JobDefaults: Sendable, Equatable {
    public var outputDirectory: String
    public var model: String
    public var sampler: String
    /// nil: 10 (7 for image-to-image).
    public var cfgScale: Double?
    /// nil: 30 (50 for image-to-image).
    public var steps: Int?
    /// The plugin chain of jobs that name none.
    public var pluginChain: [PluginStep]

    /// The defaults `settings` give, images going to `outputDirectory`.
    public init(settings: Settings = Settings(), outputDirectory: String) {
        self.outputDirectory = outputDirectory
        model = settings.model
        sampler = settings.sampler
        cfgScale = settings.cfgScale
        steps = settings.steps
        // Each was read when the settings were (Settings.Kind.pluginSteps
        // refuses a step that does not read), so none is dropped here.
        pluginChain = settings.pluginChain.compactMap { try? PluginStep(parsing: $0) }
    }
}

/// Exponential backoff with full jitter (a random delay between zero and the
/// exponential bound, so that clients that failed together do not retry
/// together), capped, with a maximum number of attempts.
public struct RetryPolicy: Sendable, Equatable {
    /// The bound of the first retry's delay.
    public var base: Duration
    /// The largest delay.
    public var cap: Duration = .seconds(300)
    /// Attempts that count (transient failures) before the job fails.
    public var maximumAttempts: Int
    /// The wait after a rate limit that did not say how long.
    public var rateLimitDelay: Duration = .seconds(60)
    /// Download tries of one image before the job waits for its next attempt.
    public var downloadTries = 3

    /// The policy `settings` give (the rest are fixed).
    public init(settings: Settings = Settings()) {
        base = Settings.duration(settings.retryBase)
        maximumAttempts = settings.maxAttempts
    }

    /// The delay before attempt `attempt + 1`, given `attempt` failed attempts
    /// so far (1 for the first failure), drawn from `random` in 0..<1.
    public func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let bound = min(Double(base.nanoseconds) * Double(1 << exponent), Double(cap.nanoseconds))
        return .nanoseconds(Int64(bound * min(max(random, 0), 1)))
    }
}
