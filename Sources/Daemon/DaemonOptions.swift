import Configuration
import VisionCraftEmulator

/// How the daemon runs; set from the command line (see visioncraftd(8)).
public struct DaemonOptions: Sendable, Equatable {
    /// `--socket PATH`; nil resolves the default (see `SocketLocation`).
    public var socketPath: String?
    /// `--log-file PATH`; nil logs to standard error.
    package var logFile: String?
    /// `--log-level LEVEL`.
    package var logLevel: Logger.Level = .info
    /// `--ready-fd N`: a descriptor to write one newline to, then close, once
    /// the socket accepts connections (how `vcctl` knows a daemon it started
    /// is ready, without polling).
    package var readyDescriptor: Int32?
    /// `--max-message-bytes N`: the longest request line accepted.
    package var maximumMessageBytes: Int = 16 << 20
    /// `--shutdown-timeout SECONDS`: how long a graceful stop waits for
    /// requests in flight before closing their connections.
    public var shutdownTimeout: Duration = .seconds(10)
    /// `--emulator-faults JSON`: the embedded emulator's faults (the keys of
    /// `POST /_emulator/faults`).
    package var emulatorFaults = FaultPlan()
    /// `--state-dir PATH`: the job database and the log of an auto-started
    /// daemon; nil: `$XDG_STATE_HOME/visioncraft`, else `~/.local/state/visioncraft`.
    public var stateDirectory: String?
    /// Unread bytes a subscriber may have before its events are dropped;
    /// tests lower it.
    package var eventBufferLimit = 256 << 10
    /// `--plugin-dir PATH` (repeatable): more folders to load plugins from.
    package var pluginFolders: [String] = []
    /// `--config PATH`: the configuration file read at start and on reload
    /// (`visioncraftd` sets the default, `$XDG_CONFIG_HOME/visioncraft/config.toml`);
    /// nil: none, the settings stay as given here.
    package var configPath: String?
    /// The settings in force: the configuration file's (the defaults
    /// without one) under the flags that set keys (`Settings.keys`' flags).
    package internal(set) var settings = Settings()
    /// What the flags set, over the defaults; `layered(over:)` puts these
    /// keys over a file's settings.
    package private(set) var commandLineSettings = Settings()
    /// Keys of `settings` that command-line flags set: the file does not
    /// override them (see `layered(over:)`).
    package private(set) var commandLineKeys: Set<String> = []
    /// `--skip-database-check`: use the job database even when the start's
    /// check finds it damaged (logged as a warning).
    package var skipDatabaseCheck = false
    /// `--allow-core-dumps`: the daemon stays dumpable, with the core limit
    /// it was started with, and works from its state folder (where a core
    /// then lands). Off: no core dump, ever (it would hold the key), and
    /// the daemon works from `/`.
    package var allowCoreDumps = false
    /// `--enable-test-methods` (hidden): registers `test.sleep` and
    /// `test.fail` for the test suite.
    package var enableTestMethods = false

    public init() {}

    /// Sets key `name` as its flag would (a flag wins over the file): how
    /// the command line and the tests give settings.
    ///
    /// - Throws: `KeyProblem` for a value the key does not take.
    public mutating func set(_ name: String, _ value: ConfigFile.Value) throws(KeyProblem) {
        guard let key = Settings.key(name) else { throw KeyProblem("unknown key \(name) (vcctl config keys lists them)") }
        try key.apply(value, to: &commandLineSettings)
        key.copy(&settings, commandLineSettings)
        commandLineKeys.insert(name)
    }

    /// `set` for values the caller knows fit (the tests, the campaigns).
    public mutating func set(_ name: String, _ value: Int) { try! set(name, .integer(value)) }
    public mutating func set(_ name: String, _ value: Double) { try! set(name, .number(value)) }
    public mutating func set(_ name: String, _ value: String) { try! set(name, .string(value)) }
    public mutating func set(_ name: String, _ value: Bool) { try! set(name, .boolean(value)) }
}
