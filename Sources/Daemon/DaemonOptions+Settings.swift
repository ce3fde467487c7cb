import Configuration
import HTTPClient
import Scheduler

extension DaemonOptions {
    /// These options over a configuration file's `settings`: each key a flag
    /// did not set (see `commandLineKeys`) takes the file's value. Applying
    /// it again with other settings (a reload) gives the same options as
    /// starting with them.
    package func layered(over file: Settings) -> DaemonOptions {
        var options = self
        var settings = file
        for key in Settings.keys where commandLineKeys.contains(key.name) {
            key.copy(&settings, commandLineSettings)
        }
        options.settings = settings
        return options
    }

    /// `--upstream URL|emulator` (`--emulator` is `--upstream emulator`):
    /// the upstream a flag names; nil reads `VISIONCRAFT_UPSTREAM`, else the
    /// file, else the documented host (`UpstreamSelection.resolve`).
    package var upstream: String? {
        commandLineKeys.contains("upstream.url") ? settings.upstream : nil
    }

    /// The upstream the file names, when no flag does (the environment
    /// still comes before it: see `UpstreamSelection.resolve`).
    var configuredUpstream: String? {
        commandLineKeys.contains("upstream.url") ? nil : settings.upstream
    }

    /// `--output-dir`, or the file's `jobs.output_dir`; nil: the default folder.
    package var outputDirectory: String? { settings.outputDir }

    /// The upstream's timeouts.
    var upstreamTimeouts: HTTPClientRequest.Timeouts {
        var timeouts = HTTPClientRequest.Timeouts()
        timeouts.connect = Settings.duration(settings.connectTimeout)
        timeouts.total = Settings.duration(settings.requestTimeout)
        timeouts.lowSpeedTime = Settings.duration(settings.stallTimeout)
        return timeouts
    }

    /// The scheduler's pacing, retries and limits, images going to
    /// `outputDirectory` unless a job names a folder.
    func schedulerConfiguration(outputDirectory: String) -> SchedulerConfiguration {
        SchedulerConfiguration(settings: settings, outputDirectory: outputDirectory)
    }

    /// The defaults of new jobs, images going to `outputDirectory` unless
    /// the file names a folder no flag overrides.
    func jobDefaults(outputDirectory: String) -> JobDefaults {
        JobDefaults(settings: settings, outputDirectory: outputDirectory)
    }

    /// The keys whose value differs between `self` and `other` that a reload
    /// cannot apply while the daemon runs (it tells the user to restart).
    func keysNeedingRestart(comparedWith other: DaemonOptions) -> [String] {
        changedKeys(comparedWith: other).filter { name in Settings.key(name)?.live != true && !BackendSettings.isLiveKey(name) }
    }

    /// The keys (not set by flags) whose value differs in `other`'s settings;
    /// the backends (`[backends.*]`, `default_backend`) count as one,
    /// `backends`, which a reload does not apply, unless only their job
    /// defaults changed (`backends.NAME.model`, which it does).
    func changedKeys(comparedWith other: DaemonOptions) -> [String] {
        let changed = Settings.keys.map(\.name).filter { key in
            !commandLineKeys.contains(key) && settings.value(of: key) != other.settings.value(of: key)
        }
        let backendsChanged = settings.backends.map(\.restartPart) != other.settings.backends.map(\.restartPart)
            || settings.defaultBackend != other.settings.defaultBackend
        if backendsChanged { return changed + [BackendSettings.section] }
        // The same backends: what a reload applies of each.
        return changed + zip(settings.backends, other.settings.backends).flatMap { $0.changedJobDefaults(comparedWith: $1) }
    }
}
