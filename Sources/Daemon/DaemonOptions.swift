import Configuration
import HTTPClient
import Scheduler
import VisionCraftEmulator

/// How the daemon runs; set from the command line (see visioncraftd(8)).
public struct DaemonOptions: Sendable, Equatable {
    /// `--socket PATH`; nil resolves the default (see `SocketLocation`).
    public var socketPath: String?
    /// `--log-file PATH`; nil logs to standard error.
    public var logFile: String?
    /// `--log-level LEVEL`.
    public var logLevel: Logger.Level = .info
    /// `--ready-fd N`: a descriptor to write one newline to, then close, once
    /// the socket accepts connections (how `vcctl` knows a daemon it started
    /// is ready, without polling).
    public var readyDescriptor: Int32?
    /// `--max-message-bytes N`: the longest request line accepted.
    public var maximumMessageBytes: Int = 16 << 20
    /// `--shutdown-timeout SECONDS`: how long a graceful stop waits for
    /// requests in flight before closing their connections.
    public var shutdownTimeout: Duration = .seconds(10)
    /// `--upstream URL|emulator` (`--emulator` is `--upstream emulator`);
    /// nil reads `VISIONCRAFT_UPSTREAM`, else uses the documented host.
    public var upstream: String?
    /// `--emulator-faults JSON`: the embedded emulator's faults (the keys of
    /// `POST /_emulator/faults`).
    public var emulatorFaults = FaultPlan()
    /// False with `--insecure`: TLS certificates are not verified.
    public var tlsVerify = true
    /// `--ca-file PATH`: trust these certificates instead of the system's.
    public var caFile: String?
    /// `--connect-timeout`, `--request-timeout`, `--stall-timeout`.
    public var upstreamTimeouts = HTTPClientRequest.Timeouts()
    /// `--state-dir PATH`: the job database and the log of an auto-started
    /// daemon; nil: `$XDG_STATE_HOME/visioncraft`, else `~/.local/state/visioncraft`.
    public var stateDirectory: String?
    /// `--output-dir PATH`: where images go; nil: `~/Pictures/visioncraft`.
    public var outputDirectory: String?
    /// `--max-in-flight N`: upstream requests at once.
    public var maximumInFlight = 2
    /// `--requests-per-minute N`: generations started per minute; 0 for no limit.
    public var requestsPerMinute = 60
    /// `--max-attempts N`: transient failures before a job fails.
    public var maximumAttempts = 8
    /// `--retry-base SECONDS`: the first retry's backoff bound (doubling up
    /// to 5 minutes).
    public var retryBaseDelay: Duration = .seconds(2)
    /// Unread bytes a subscriber may have before its events are dropped;
    /// tests lower it.
    public var eventBufferLimit = 256 << 10
    /// `--plugin-dir PATH` (repeatable): more folders to load plugins from.
    public var pluginFolders: [String] = []
    /// `--plugin-timeout SECONDS`: how long one plugin hook may run.
    public var pluginTimeout: Duration = .seconds(60)
    /// `--image-memory MB`, `--max-input-megapixels N`,
    /// `--max-output-megapixels N`; the defaults are the settings'.
    public var imageLimits = DaemonOptions.imageLimits(Settings())
    /// `--config PATH`: the configuration file read at start and on reload
    /// (`visioncraftd` sets the default, `$XDG_CONFIG_HOME/visioncraft/config.toml`);
    /// nil: none, the settings stay as given here.
    public var configPath: String?
    /// The settings the configuration file gave (the defaults without one):
    /// the defaults of new jobs, the upstream when neither `--upstream` nor
    /// `VISIONCRAFT_UPSTREAM` names one, more plugin folders.
    public var settings = Settings()
    /// Keys of `settings` that command-line flags set: the file does not
    /// override them (see `layered(over:)`).
    public var commandLineKeys: Set<String> = []
    /// `--skip-database-check`: use the job database even when the start's
    /// check finds it damaged (logged as a warning).
    public var skipDatabaseCheck = false
    /// `--allow-core-dumps`: the daemon stays dumpable, with the core limit
    /// it was started with, and works from its state folder (where a core
    /// then lands). Off: no core dump, ever (it would hold the key), and
    /// the daemon works from `/`.
    public var allowCoreDumps = false
    /// `--enable-test-methods` (hidden): registers `test.sleep` and
    /// `test.fail` for the test suite.
    public var enableTestMethods = false

    public init() {}
}
