import CommandLineKit
import Configuration
import JSON
import Posix
import Scheduler
import VisionCraftEmulator
import VisionCraftProtocol

/// The `visioncraftd` command line (see visioncraftd(8)).
public struct VisionCraftDaemonCommand: Command {
    public static let configuration = CommandConfiguration(
        name: "visioncraftd",
        abstract: "The per-user VisionCraft daemon: JSON-RPC 2.0 over a Unix socket.",
        discussion: "Runs in the foreground and logs to standard error. SIGTERM or SIGINT stop it gracefully. vcctl starts it in the background when none runs.",
        options: [
            Option(long: "socket", valueName: "PATH", help: "The socket to serve (default: $VISIONCRAFT_SOCKET, else $XDG_RUNTIME_DIR/visioncraft/visioncraftd.sock, else /tmp/visioncraft-$UID/visioncraftd.sock).", completion: .file),
            Option(long: "log-file", valueName: "PATH", help: "Append the log to PATH instead of standard error.", completion: .file),
            Option(long: "log-level", valueName: "LEVEL", help: "debug, info (default), warning or error.", completion: .values(Logger.Level.allCases.map(\.description))),
            Option(long: "ready-fd", valueName: "N", help: "Write a newline to descriptor N and close it once the socket accepts connections."),
            Option(long: "max-message-bytes", valueName: "N", help: "The longest message (line) accepted; default 16777216."),
            Option(long: "shutdown-timeout", valueName: "SECONDS", help: "How long a graceful stop waits for requests in flight; default 10."),
            Option(long: "config", valueName: "PATH", help: "Read settings from PATH (default: $XDG_CONFIG_HOME/visioncraft/config.toml, else ~/.config/visioncraft/config.toml; see visioncraft.conf(5)). Flags win over it.", completion: .file),
            Option(long: "state-dir", valueName: "PATH", help: "Keep the job database in PATH (default: $XDG_STATE_HOME/visioncraft, else ~/.local/state/visioncraft).", completion: .directory),
            Option(long: "output-dir", valueName: "PATH", help: "Save images under PATH/YYYY-MM-DD/ (default: ~/Pictures/visioncraft); jobs may name their own.", completion: .directory),
            Option(long: "max-in-flight", valueName: "N", help: "Upstream requests at once, 1 to 16; default 2."),
            Option(long: "requests-per-minute", valueName: "N", help: "Generations started per minute at most; 0 for no limit; default 60."),
            Option(long: "max-attempts", valueName: "N", help: "Transient failures a job survives before it fails, 1 to 100; default 8."),
            Option(
                long: "retry-base", valueName: "SECONDS",
                help: "The first retry's longest wait (full jitter, doubling up to 5 minutes), 0.01 to 600; default 2."
            ),
            Option(long: "plugin-dir", valueName: "PATH", help: "Also load plugins from PATH (repeatable); $XDG_DATA_HOME/visioncraft/plugins and this binary's folder are always searched.", repeatable: true, completion: .directory),
            Option(long: "plugin-timeout", valueName: "SECONDS", help: "How long one plugin hook may run before its job step fails and the plugin is marked hung; default 60."),
            Option(
                long: "image-memory", valueName: "MB",
                help: "MiB of decoded images all jobs may hold at once on their way through image plugins (an image that does not fit waits), \(Settings.imageMemoryRange.lowerBound) to \(Settings.imageMemoryRange.upperBound); default \(Settings().imageMemory)."
            ),
            Option(
                long: "max-input-megapixels", valueName: "N",
                help: "The most pixels, in units of 2^20 (1024x1024), a downloaded image may have to go through image plugins, \(Settings.maxInputMegapixelsRange.lowerBound) to \(Settings.maxInputMegapixelsRange.upperBound); default \(Settings().maxInputMegapixels)."
            ),
            Option(
                long: "max-output-megapixels", valueName: "N",
                help: "The most pixels, in units of 2^20, an image plugin may return, \(Settings.maxOutputMegapixelsRange.lowerBound) to \(Settings.maxOutputMegapixelsRange.upperBound); default \(Settings().maxOutputMegapixels)."
            ),
            Option(long: "upstream", valueName: "URL", help: "The VisionCraft API's base URL, or 'emulator' for the embedded emulator (default: $VISIONCRAFT_UPSTREAM, else http://loplequ.domcloud.io)."),
            Option(long: "emulator", help: "Serve the embedded emulator on a loopback port and use it: no key, no network (same as --upstream emulator)."),
            Option(long: "emulator-faults", valueName: "JSON", help: "Faults for the embedded emulator, as POST /_emulator/faults takes them, e.g. '{\"server_error_rate\":0.3}'."),
            Option(long: "insecure", help: "Do not verify the upstream's TLS certificate (logs a warning). For a service whose certificate is known to fail."),
            Option(long: "ca-file", valueName: "PATH", help: "Verify the upstream's TLS certificate against the certificates in PATH instead of the system's.", completion: .file),
            Option(long: "connect-timeout", valueName: "SECONDS", help: "How long connecting to the upstream may take; default 10."),
            Option(long: "request-timeout", valueName: "SECONDS", help: "How long one upstream request may take in all; default 120."),
            Option(long: "stall-timeout", valueName: "SECONDS", help: "Abort an upstream transfer that receives nothing for this long; default 30."),
            Option(long: "check-config", help: "Check the command line, the configuration file and the environment as a start would, then exit: 0 when they are fine, 78 naming what is wrong. Binds nothing, touches no file."),
            Option(long: "skip-database-check", help: "Use the job database even if the start's check finds it damaged (an empty file, a lone write-ahead log, SQLite's quick check); the problem is logged as a warning."),
            Option(long: "allow-core-dumps", help: "For debugging: let a crash leave a core dump (it holds the API key), with the core limit the daemon was started with (ulimit -c), and work from the state folder, where the core then lands. Without it the daemon is not dumpable, its core limit is 0 and it works from /."),
            Option(long: "enable-test-methods", help: "Register test.sleep and test.fail (for the test suite).", hidden: true),
        ]
    )

    let options: DaemonOptions
    /// `--check-config`: check, then exit.
    let checkOnly: Bool

    public init(_ arguments: ParsedArguments) throws {
        checkOnly = arguments.flag("check-config")
        var options = DaemonOptions()
        // Made absolute now: the daemon changes its working folder at start.
        let start = ProcessEnvironment.workingDirectory()
        options.socketPath = arguments.value("socket").map { Self.absolute($0, in: start) }
        options.logFile = arguments.value("log-file").map { Self.absolute($0, in: start) }
        if let level = try arguments.choice("log-level", from: Logger.Level.allCases.map(\.description)) {
            options.logLevel = Logger.Level(name: level) ?? .info
        }
        options.readyDescriptor = try arguments.int("ready-fd", in: 0...65535).map(Int32.init)
        options.maximumMessageBytes = try arguments.int("max-message-bytes", in: 1024...(1 << 30)) ?? options.maximumMessageBytes
        if let seconds = try arguments.double("shutdown-timeout", in: 0...3600) {
            options.shutdownTimeout = .milliseconds(Int64(seconds * 1000))
        }
        options.stateDirectory = try Self.absolutePath(arguments, "state-dir")
        options.pluginFolders = try arguments.values("plugin-dir").map { path throws -> String in
            guard path.hasPrefix("/") else { throw UsageError("--plugin-dir \(path): expected an absolute path") }
            return path
        }
        options.outputDirectory = try Self.absolutePath(arguments, "output-dir")
        options.maximumInFlight = try arguments.int("max-in-flight", in: 1...16) ?? options.maximumInFlight
        options.requestsPerMinute = try arguments.int("requests-per-minute", in: 0...100_000) ?? options.requestsPerMinute
        options.maximumAttempts = try arguments.int("max-attempts", in: 1...100) ?? options.maximumAttempts
        if let seconds = try arguments.double("retry-base", in: 0.01...600) {
            options.retryBaseDelay = .milliseconds(Int64((seconds * 1000).rounded()))
        }
        if let seconds = try arguments.double("plugin-timeout", in: 0.01...3600) {
            options.pluginTimeout = .milliseconds(Int64(seconds * 1000))
        }
        if let megabytes = try arguments.int("image-memory", in: Settings.imageMemoryRange) { options.imageLimits.memoryBudget = megabytes << 20 }
        if let megapixels = try arguments.int("max-input-megapixels", in: Settings.maxInputMegapixelsRange) {
            options.imageLimits.maximumInputPixels = megapixels * ImageLimits.megapixel
        }
        if let megapixels = try arguments.int("max-output-megapixels", in: Settings.maxOutputMegapixelsRange) {
            options.imageLimits.maximumOutputPixels = megapixels * ImageLimits.megapixel
        }
        options.upstream = try Self.upstream(arguments)
        if let faults = arguments.value("emulator-faults") {
            guard options.upstream == UpstreamSelection.emulatorName else {
                throw UsageError("--emulator-faults needs --emulator (it configures the embedded emulator)")
            }
            do {
                options.emulatorFaults = try FaultPlan().updated(with: try JSONParser.parse(Array(faults.utf8)))
            } catch {
                throw UsageError("--emulator-faults: \(error)")
            }
        }
        options.tlsVerify = !arguments.flag("insecure")
        options.caFile = arguments.value("ca-file").map { Self.absolute($0, in: start) }
        if let seconds = try arguments.double("connect-timeout", in: 0.001...600) {
            options.upstreamTimeouts.connect = .milliseconds(Int64(seconds * 1000))
        }
        if let seconds = try arguments.double("request-timeout", in: 0.001...86400) {
            options.upstreamTimeouts.total = .milliseconds(Int64(seconds * 1000))
        }
        if let seconds = try arguments.double("stall-timeout", in: 1...3600) {
            options.upstreamTimeouts.lowSpeedTime = .milliseconds(Int64(seconds * 1000))
        }
        options.skipDatabaseCheck = arguments.flag("skip-database-check")
        options.enableTestMethods = arguments.flag("enable-test-methods")
        options.allowCoreDumps = arguments.flag("allow-core-dumps")
        options.configPath = try Self.absolutePath(arguments, "config")
        options.commandLineKeys = Set(Self.flagKeys.filter { flag, _ in arguments.value(flag) != nil || arguments.flag(flag) }.map(\.value))
        self.options = options
    }

    /// The flags that set a configuration key, which the file then cannot change.
    static let flagKeys: [String: String] = [
        "upstream": "upstream.url", "emulator": "upstream.url", "insecure": "upstream.tls_verify", "ca-file": "upstream.ca_file",
        "connect-timeout": "upstream.connect_timeout", "request-timeout": "upstream.request_timeout",
        "stall-timeout": "upstream.stall_timeout", "max-in-flight": "queue.max_in_flight",
        "requests-per-minute": "queue.requests_per_minute", "max-attempts": "queue.max_attempts",
        "retry-base": "queue.retry_base", "output-dir": "jobs.output_dir",
        "plugin-timeout": "plugins.timeout", "image-memory": "images.memory_mb", "max-input-megapixels": "images.max_input_megapixels",
        "max-output-megapixels": "images.max_output_megapixels",
    ]

    /// A path option that must be absolute (the daemon may change folder).
    private static func absolutePath(_ arguments: ParsedArguments, _ name: String) throws -> String? {
        guard let path = arguments.value(name) else { return nil }
        guard path.hasPrefix("/") else { throw UsageError("--\(name) \(path): expected an absolute path") }
        return path
    }

    /// `path` made absolute against `folder` (an empty path stays empty: unset).
    private static func absolute(_ path: String, in folder: String) -> String {
        path.isEmpty || path.hasPrefix("/") ? path : folder + (folder.hasSuffix("/") ? "" : "/") + path
    }

    /// `--upstream`, checked now so a typo is a usage error, or `--emulator`.
    private static func upstream(_ arguments: ParsedArguments) throws -> String? {
        let flag = arguments.value("upstream")
        if arguments.flag("emulator") {
            guard flag == nil || flag == UpstreamSelection.emulatorName else {
                throw UsageError("--emulator and --upstream \(flag!) contradict each other; give one")
            }
            return UpstreamSelection.emulatorName
        }
        if let flag {
            do {
                _ = try UpstreamSelection(parsing: flag, source: "--upstream")
            } catch {
                throw UsageError(error.description)
            }
        }
        return flag
    }

    public func run(_ context: CommandContext) throws -> ExitCode {
        // Before the key or anything else worth hiding is in memory.
        if !options.allowCoreDumps && !checkOnly {
            do {
                try CoreDumps.forbid()
            } catch {
                throw CommandFailure("cannot turn core dumps off (\(error)); start with --allow-core-dumps to run with them", exitCode: .software)
            }
        }
        let log: Logger
        if let path = options.logFile {
            do {
                log = try Logger(file: path, minimumLevel: options.logLevel)
            } catch {
                throw CommandFailure("cannot open the log file: \(error)", exitCode: .cannotCreate)
            }
        } else {
            log = Logger(minimumLevel: options.logLevel)
        }
        var options = self.options
        if let path = options.configPath ?? SettingsFile.defaultPath(environment: { context.environment[$0] }) {
            do {
                options = options.layered(over: try SettingsFile.load(path))
            } catch {
                log.error("\(error.description) (fix the file, or start with --config /dev/null)")
                return .config
            }
            options.configPath = path
        }
        let daemon = Daemon(options: options, environment: context.environment, log: log)
        if checkOnly {
            do {
                try daemon.checkSettings()
            } catch {
                log.error(error.message)
                return .config
            }
            context.stderr.write("visioncraftd: the command line, " + (options.configPath.map { "\($0)" } ?? "no configuration file") + " and the environment are fine\n")
            return .success
        }
        _ = try SignalWaiter([.terminate, .interrupt, .hangup]) { signal in
            switch signal {
            case .hangup:
                do {
                    try daemon.reload()
                } catch {
                    log.warning("SIGHUP: kept the configuration in use")
                }
            default:
                if daemon.requestStop(.signal(signal)) { daemon.forceExit() }
            }
        }
        return ExitCode(rawValue: daemon.run())
    }

    /// The entry point: blocks the signals the daemon handles (before any
    /// thread exists, so every thread inherits the mask), gives the main
    /// thread an alternate signal stack (the Swift runtime's backtracer sets
    /// one up only when it is on), then runs.
    public static func main(_ arguments: [String]) -> ExitCode {
        Signals.block([.terminate, .interrupt, .hangup])
        _ = AlternateSignalStack.install()
        Signals.ignoreBrokenPipe()
        let context = CommandContext.standard()
        return CommandLineTool.main(Self.self, arguments: arguments, context: context, version: VisionCraftVersion.current)
    }
}
