import Configuration
import Scheduler

extension DaemonOptions {
    /// These options over a configuration file's `settings`: each setting a
    /// flag did not give (see `commandLineKeys`) takes the file's value.
    /// Applying it again with other settings (a reload) gives the same
    /// options as starting with them.
    public func layered(over settings: Settings) -> DaemonOptions {
        var options = self
        options.settings = settings
        func fromFile(_ key: String) -> Bool { !commandLineKeys.contains(key) }
        func duration(_ seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1000).rounded())) }
        if fromFile("upstream.tls_verify") { options.tlsVerify = settings.tlsVerify }
        if fromFile("upstream.ca_file") { options.caFile = settings.caFile }
        if fromFile("upstream.connect_timeout") { options.upstreamTimeouts.connect = duration(settings.connectTimeout) }
        if fromFile("upstream.request_timeout") { options.upstreamTimeouts.total = duration(settings.requestTimeout) }
        if fromFile("upstream.stall_timeout") { options.upstreamTimeouts.lowSpeedTime = duration(settings.stallTimeout) }
        if fromFile("queue.max_in_flight") { options.maximumInFlight = settings.maxInFlight }
        if fromFile("queue.requests_per_minute") { options.requestsPerMinute = settings.requestsPerMinute }
        if fromFile("queue.max_attempts") { options.maximumAttempts = settings.maxAttempts }
        if fromFile("queue.retry_base") { options.retryBaseDelay = duration(settings.retryBase) }
        if fromFile("jobs.output_dir") { options.outputDirectory = settings.outputDir }
        if fromFile("plugins.timeout") { options.pluginTimeout = duration(settings.pluginTimeout) }
        let images = Self.imageLimits(settings)
        if fromFile("images.memory_mb") { options.imageLimits.memoryBudget = images.memoryBudget }
        if fromFile("images.max_input_megapixels") { options.imageLimits.maximumInputPixels = images.maximumInputPixels }
        if fromFile("images.max_output_megapixels") { options.imageLimits.maximumOutputPixels = images.maximumOutputPixels }
        return options
    }

    /// The image limits `settings` give (MiB and megapixels become bytes and pixels).
    static func imageLimits(_ settings: Settings) -> ImageLimits {
        ImageLimits(
            memoryBudget: settings.imageMemory << 20, maximumInputPixels: settings.maxInputMegapixels * ImageLimits.megapixel,
            maximumOutputPixels: settings.maxOutputMegapixels * ImageLimits.megapixel
        )
    }

    /// The upstream the file names, when no flag does (the environment
    /// still comes before it: see `UpstreamSelection.resolve`).
    var configuredUpstream: String? {
        commandLineKeys.contains("upstream.url") ? nil : settings.upstream
    }

    /// The defaults of new jobs, images going to `outputDirectory` unless
    /// the file names a folder no flag overrides.
    func jobDefaults(outputDirectory: String) -> JobDefaults {
        var defaults = JobDefaults(outputDirectory: outputDirectory)
        defaults.model = settings.model
        defaults.sampler = settings.sampler
        defaults.cfgScale = settings.cfgScale
        defaults.steps = settings.steps
        defaults.pluginChain = settings.pluginChain
        return defaults
    }

    /// The keys whose value differs between `self` and `other` that a reload
    /// cannot apply while the daemon runs (it tells the user to restart).
    func keysNeedingRestart(comparedWith other: DaemonOptions) -> [String] {
        changedKeys(comparedWith: other).filter { !Self.liveKeys.contains($0) }
    }

    /// The keys (not set by flags) whose value differs in `other`'s settings.
    func changedKeys(comparedWith other: DaemonOptions) -> [String] {
        Settings.keys.map(\.name).filter { key in
            !commandLineKeys.contains(key) && settings.value(of: key) != other.settings.value(of: key)
        }
    }

    /// What a reload applies at once: the defaults of jobs submitted after it.
    static let liveKeys: Set<String> = [
        "jobs.model", "jobs.sampler", "jobs.cfg_scale", "jobs.steps", "jobs.image_count", "jobs.output_dir", "plugins.chain",
    ]
}
