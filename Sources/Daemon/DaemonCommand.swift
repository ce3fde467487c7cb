import CommandLineKit
import Posix
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
            Option(long: "enable-test-methods", help: "Register test.sleep and test.fail (for the test suite).", hidden: true),
        ]
    )

    let options: DaemonOptions

    public init(_ arguments: ParsedArguments) throws {
        var options = DaemonOptions()
        options.socketPath = arguments.value("socket")
        options.logFile = arguments.value("log-file")
        if let level = try arguments.choice("log-level", from: Logger.Level.allCases.map(\.description)) {
            options.logLevel = Logger.Level(name: level) ?? .info
        }
        options.readyDescriptor = try arguments.int("ready-fd", in: 0...65535).map(Int32.init)
        options.maximumMessageBytes = try arguments.int("max-message-bytes", in: 1024...(1 << 30)) ?? options.maximumMessageBytes
        if let seconds = try arguments.double("shutdown-timeout", in: 0...3600) {
            options.shutdownTimeout = .milliseconds(Int64(seconds * 1000))
        }
        options.enableTestMethods = arguments.flag("enable-test-methods")
        self.options = options
    }

    public func run(_ context: CommandContext) throws -> ExitCode {
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
        let daemon = Daemon(options: options, environment: context.environment, log: log)
        _ = try SignalWaiter([.terminate, .interrupt, .hangup]) { signal in
            switch signal {
            case .hangup:
                log.info("SIGHUP ignored: there is no configuration to reload yet")
            default:
                if daemon.requestStop(.signal(signal)) { daemon.forceExit() }
            }
        }
        return ExitCode(rawValue: daemon.run())
    }

    /// The entry point: blocks the signals the daemon handles (before any
    /// thread exists, so every thread inherits the mask), then runs.
    public static func main(_ arguments: [String]) -> ExitCode {
        Signals.block([.terminate, .interrupt, .hangup])
        Signals.ignoreBrokenPipe()
        let context = CommandContext.standard()
        return CommandLineTool.main(Self.self, arguments: arguments, context: context, version: VisionCraftVersion.current)
    }
}
