import CommandLineKit
import Configuration
import JSON
import Posix
import Scheduler
import VisionCraftEmulator
import VisionCraftProtocol

/// The `visioncraftd` command line (see visioncraftd(8)).
package struct VisionCraftDaemonCommand: Command {
    static let socketOption = Option(long: "socket", valueName: "PATH", help: "The socket to serve (default: $VISIONCRAFT_SOCKET, else $XDG_RUNTIME_DIR/visioncraft/visioncraftd.sock, else /tmp/visioncraft-$UID/visioncraftd.sock).", completion: .file)
    static let logFileOption = Option(long: "log-file", valueName: "PATH", help: "Append the log to PATH instead of standard error.", completion: .file)
    static let logLevelOption = Option(long: "log-level", valueName: "LEVEL", help: "debug, info (default), warning or error.", completion: .values(Logger.Level.allCases.map(\.description)))
    static let readyFdOption = Option(long: "ready-fd", valueName: "N", help: "Write a newline to descriptor N and close it once the socket accepts connections.")
    static let maxMessageBytesOption = Option(long: "max-message-bytes", valueName: "N", help: "The longest message (line) accepted; default 16777216.")
    static let shutdownTimeoutOption = Option(long: "shutdown-timeout", valueName: "SECONDS", help: "How long a graceful stop waits for requests in flight; default 10.")
    static let configOption = Option(long: "config", valueName: "PATH", help: "Read settings from PATH (default: $XDG_CONFIG_HOME/visioncraft/config.toml, else ~/.config/visioncraft/config.toml; see visioncraft.conf(5)). Flags win over it.", completion: .file)
    static let stateDirOption = Option(long: "state-dir", valueName: "PATH", help: "Keep the job database in PATH (default: $XDG_STATE_HOME/visioncraft, else ~/.local/state/visioncraft).", completion: .directory)
    static let pluginDirOption = Option(long: "plugin-dir", valueName: "PATH", help: "Also load plugins from PATH (repeatable); $XDG_DATA_HOME/visioncraft/plugins and this binary's folder are always searched.", repeatable: true, completion: .directory)
    static let emulatorFaultsOption = Option(long: "emulator-faults", valueName: "JSON", help: "Faults for the embedded emulator, as POST /_emulator/faults takes them, e.g. '{\"server_error_rate\":0.3}'.")
    static let checkConfigOption = Option(long: "check-config", help: "Check the command line, the configuration file and the environment as a start would, then exit: 0 when they are fine, 78 naming what is wrong. Binds nothing, touches no file.")
    static let skipDatabaseCheckOption = Option(long: "skip-database-check", help: "Use the job database even if the start's check finds it damaged (an empty file, a lone write-ahead log, SQLite's quick check); the problem is logged as a warning.")
    static let allowCoreDumpsOption = Option(long: "allow-core-dumps", help: "For debugging: let a crash leave a core dump (it holds the API key), with the core limit the daemon was started with (ulimit -c), and work from the state folder, where the core then lands. Without it the daemon is not dumpable, its core limit is 0 and it works from /.")
    static let enableTestMethodsOption = Option(long: "enable-test-methods", help: "Register test.sleep and test.fail (for the test suite).", hidden: true)
    package static let name = "visioncraftd"
    package static let configuration = CommandConfiguration(
        abstract: "The per-user VisionCraft daemon: JSON-RPC 2.0 over a Unix socket.",
        discussion: "Runs in the foreground and logs to standard error. SIGTERM or SIGINT stop it gracefully. vcctl starts it in the background when none runs.",
        options: [
            Self.socketOption,
            Self.logFileOption,
            Self.logLevelOption,
            Self.readyFdOption,
            Self.maxMessageBytesOption,
            Self.shutdownTimeoutOption,
            Self.configOption,
            Self.stateDirOption,
            Self.pluginDirOption,
            Self.emulatorFaultsOption,
            Self.checkConfigOption,
            Self.skipDatabaseCheckOption,
            Self.allowCoreDumpsOption,
            Self.enableTestMethodsOption,
        ] + settingFlags.map(\.option)
    )

    /// The flags that set configuration keys, from the settings table.
    static let settingFlags: [(key: Settings.Key, flag: Settings.Flag, option: Option)] = Settings.keys.flatMap { key in
        key.flags.map { flag in
            (key, flag, Option(long: flag.name, valueName: flag.valueName, help: key.help(for: flag), completion: key.kind == .path ? .file : .none))
        }
    }

    let options: DaemonOptions
    /// `--check-config`: check, then exit.
    let checkOnly: Bool

    package init(_ arguments: ParsedArguments) throws {
        checkOnly = arguments.flag(Self.checkConfigOption)
        var options = DaemonOptions()
        // Made absolute now: the daemon changes its working folder at start.
        let start = ProcessEnvironment.workingDirectory()
        options.socketPath = arguments.value(Self.socketOption).map { Self.absolute($0, in: start) }
        options.logFile = arguments.value(Self.logFileOption).map { Self.absolute($0, in: start) }
        if let level = try arguments.choice(Self.logLevelOption, from: Logger.Level.allCases.map(\.description)) {
            options.logLevel = Logger.Level(name: level) ?? .info
        }
        options.readyDescriptor = try arguments.int(Self.readyFdOption, in: 0...65535).map(Int32.init)
        options.maximumMessageBytes = try arguments.int(Self.maxMessageBytesOption, in: 1024...(1 << 30)) ?? options.maximumMessageBytes
        if let seconds = try arguments.double(Self.shutdownTimeoutOption, in: 0...3600) {
            options.shutdownTimeout = .milliseconds(Int64(seconds * 1000))
        }
        options.stateDirectory = try Self.absolutePath(arguments, Self.stateDirOption)
        options.pluginFolders = try arguments.values(Self.pluginDirOption).map { path throws -> String in
            guard path.hasPrefix("/") else { throw UsageError("--plugin-dir \(path): expected an absolute path") }
            return path
        }
        for key in Settings.keys {
            var set: (flag: String, value: ConfigFile.Value)?
            for (_, flag, option) in Self.settingFlags.lazy.filter({ $0.key.name == key.name }) where Self.given(flag, option, arguments) {
                var text = arguments.value(option) ?? ""
                if key.kind == .path { text = Self.absolute(text, in: start) }
                let value = flag.means ?? key.kind.value(ofFlag: text)
                let given = flag.valueName == nil ? "--\(flag.name)" : "--\(flag.name) \(text)"
                if let earlier = set, earlier.value != value {
                    throw UsageError("\(earlier.flag) and \(given) contradict each other (both set \(key.name)); give one")
                }
                do throws(KeyProblem) {
                    try options.set(key.name, value)
                } catch {
                    throw UsageError("--\(flag.name): \(error.message)")
                }
                set = (given, value)
            }
        }
        if let upstream = options.upstream, upstream != UpstreamSelection.emulatorName {
            do {
                _ = try UpstreamSelection(parsing: upstream, source: "--upstream")
            } catch {
                throw UsageError(error.description)
            }
        }
        if let faults = arguments.value(Self.emulatorFaultsOption) {
            guard options.upstream == UpstreamSelection.emulatorName else {
                throw UsageError("--emulator-faults needs --emulator (it configures the embedded emulator)")
            }
            do {
                options.emulatorFaults = try FaultPlan().updated(with: try JSONParser.parse(Array(faults.utf8)))
            } catch {
                throw UsageError("--emulator-faults: \(error)")
            }
        }
        options.skipDatabaseCheck = arguments.flag(Self.skipDatabaseCheckOption)
        options.enableTestMethods = arguments.flag(Self.enableTestMethodsOption)
        options.allowCoreDumps = arguments.flag(Self.allowCoreDumpsOption)
        options.configPath = try Self.absolutePath(arguments, Self.configOption)
        self.options = options
    }

    /// Whether `flag` is on the command line.
    private static func given(_ flag: Settings.Flag, _ option: Option, _ arguments: ParsedArguments) -> Bool {
        flag.valueName == nil ? arguments.flag(option) : arguments.value(option) != nil
    }

    /// A path option that must be absolute (the daemon may change folder).
    private static func absolutePath(_ arguments: ParsedArguments, _ option: Option) throws -> String? {
        guard let path = arguments.value(option) else { return nil }
        guard path.hasPrefix("/") else { throw UsageError("--\(option.long) \(path): expected an absolute path") }
        return path
    }

    /// `path` made absolute against `folder` (an empty path stays empty: unset).
    private static func absolute(_ path: String, in folder: String) -> String {
        path.isEmpty || path.hasPrefix("/") ? path : folder + (folder.hasSuffix("/") ? "" : "/") + path
    }

    package func run(_ context: CommandContext) throws -> ExitCode {
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
        return daemon.run()
    }

    /// The entry point: blocks the signals the daemon handles (before any
    /// thread exists, so every thread inherits the mask), gives the main
    /// thread an alternate signal stack (the Swift runtime's backtracer sets
    /// one up only when it is on), then runs.
    package static func main(_ arguments: [String]) -> ExitCode {
        Signals.block([.terminate, .interrupt, .hangup])
        _ = AlternateSignalStack.install()
        Signals.ignoreBrokenPipe()
        let context = CommandContext.standard()
        return CommandLineTool.main(Self.self, arguments: arguments, context: context, version: VisionCraftVersion.current)
    }
}
