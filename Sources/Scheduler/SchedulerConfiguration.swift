import Configuration
import Jobs

/// How the scheduler paces the upstream and retries (see visioncraftd(8)),
/// from the daemon's settings: their defaults are the only ones.
package struct SchedulerConfiguration: Sendable, Equatable {
    /// Upstream requests in flight at most (generations and downloads of
    /// different jobs run side by side up to this).
    package var maximumInFlight: Int
    /// Generation requests started per minute at most; 0 for no limit.
    package var requestsPerMinute: Int
    package var retry: RetryPolicy
    /// What jobs that do not say get; `JobScheduler.updateDefaults` changes
    /// them while it runs (a configuration reload).
    package var defaults: JobDefaults
    /// Where images go when a job names no folder (as at start).
    package var outputDirectory: String { defaults.outputDirectory }
    /// How long one plugin hook may run before its step fails and the
    /// plugin is marked hung.
    package var pluginTimeout: Duration
    /// What images that go through image plugins may cost.
    package var imageLimits: ImageLimits

    /// The configuration `settings` give, images going to `outputDirectory`
    /// unless a job names a folder.
    package init(settings: Settings = Settings(), outputDirectory: String) {
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
package struct ImageLimits: Sendable, Equatable {
    /// Bytes of decoded pixels all jobs together may hold at once: inputs,
    /// plugin results and plugins' declared working memory.
    package var memoryBudget: Int
    /// The most pixels a downloaded image may have to be decoded.
    package var maximumInputPixels: Int
    /// The most pixels an image plugin may return.
    package var maximumOutputPixels: Int

    /// The unit the settings count pixels in: 2^20, so a 1024x1024 image is 1.
    package static let megapixel = 1 << 20

    package init(memoryBudget: Int, maximumInputPixels: Int, maximumOutputPixels: Int) {
        self.memoryBudget = memoryBudget
        self.maximumInputPixels = maximumInputPixels
        self.maximumOutputPixels = maximumOutputPixels
    }

    /// The limits `settings` give (MiB and megapixels become bytes and pixels).
    package init(settings: Settings) {
        self.init(
            memoryBudget: settings.imageMemory << 20, maximumInputPixels: settings.maxInputMegapixels * Self.megapixel,
            maximumOutputPixels: settings.maxOutputMegapixels * Self.megapixel
        )
    }
}

/// The defaults of new jobs (from the configuration file).
package struct JobDefaults: Sendable, Equatable {
    package var outputDirectory: String
    /// nil: the backend's default.
    package var model: String?
    package var sampler: String?
    /// nil: 10 (7 for image-to-image).
    package var cfgScale: Double?
    /// nil: 30 (50 for image-to-image).
    package var steps: Int?
    /// The plugin chain of jobs that name none.
    package var pluginChain: [PluginStep]
    /// Each backend's own, over these (`[backends.NAME]`'s `model`, ...).
    package var backends: [String: BackendJobDefaults]

    /// The defaults `settings` give, images going to `outputDirectory`.
    package init(settings: Settings = Settings(), outputDirectory: String) {
        self.outputDirectory = outputDirectory
        model = settings.model
        sampler = settings.sampler
        cfgScale = settings.cfgScale
        steps = settings.steps
        // Each was read when the settings were (Settings.Kind.pluginSteps
        // refuses a step that does not read), so none is dropped here.
        pluginChain = settings.pluginChain.compactMap { try? PluginStep(parsing: $0) }
        backends = Dictionary(settings.backends.map { ($0.name, $0.jobDefaults) }, uniquingKeysWith: { first, _ in first })
    }

    /// The defaults of a job on `backend`: its own where its section gives
    /// them, these elsewhere.
    package func on(_ backend: String) -> JobDefaults {
        guard let own = backends[backend] else { return self }
        var merged = self
        merged.model = own.model ?? model
        merged.sampler = own.sampler ?? sampler
        merged.steps = own.steps ?? steps
        merged.cfgScale = own.cfgScale ?? cfgScale
        return merged
    }

    /// Where the default of `key` ("model", "sampler", ...) on `backend`
    /// is set, for a message that points at it: `backends.NAME.model` or
    /// `jobs.model`.
    package func source(of key: String, on backend: String) -> String {
        let own = backends[backend]
        let set: Bool =
            switch key {
            case "model": own?.model != nil
            case "sampler": own?.sampler != nil
            case "steps": own?.steps != nil
            default: own?.cfgScale != nil
            }
        return set ? "\(BackendSettings.section).\(backend).\(key)" : "jobs.\(key)"
    }
}

/// Exponential backoff with full jitter (a random delay between zero and the
/// exponential bound, so that clients that failed together do not retry
/// together), capped, with a maximum number of attempts.
package struct RetryPolicy: Sendable, Equatable {
    /// The bound of the first retry's delay.
    package var base: Duration
    /// The largest delay.
    package var cap: Duration = .seconds(300)
    /// Attempts that count (transient failures) before the job fails.
    package var maximumAttempts: Int
    /// The wait after a rate limit that did not say how long.
    package var rateLimitDelay: Duration = .seconds(60)
    /// Download tries of one image before the job waits for its next attempt.
    package var downloadTries = 3

    /// The policy `settings` give (the rest are fixed).
    package init(settings: Settings = Settings()) {
        base = Settings.duration(settings.retryBase)
        maximumAttempts = settings.maxAttempts
    }

    /// The delay before attempt `attempt + 1`, given `attempt` failed attempts
    /// so far (1 for the first failure), drawn from `random` in 0..<1.
    package func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let bound = min(Double(base.nanoseconds) * Double(1 << exponent), Double(cap.nanoseconds))
        return .nanoseconds(Int64(bound * min(max(random, 0), 1)))
    }
}
