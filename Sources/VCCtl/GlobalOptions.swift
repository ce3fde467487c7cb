import Client
import CommandLineKit
import JSONRPC

/// The options every vcctl command takes, before or after its name.
struct GlobalOptions {
    static let socket = Option(
        long: "socket", valueName: "PATH",
        help: "The daemon's socket (default: $VISIONCRAFT_SOCKET, else $XDG_RUNTIME_DIR/visioncraft/visioncraftd.sock, else /tmp/visioncraft-$UID/visioncraftd.sock).",
        inherited: true, completion: .file
    )
    static let json = Option(long: "json", help: "Print data as JSON (for scripts).", inherited: true)
    static let noStart = Option(long: "no-start", help: "Do not start a daemon when none answers; exit 69 instead.", inherited: true)
    static let quiet = Option(long: "quiet", short: "q", help: "Print only ids (list, watch) or image paths (get).", inherited: true)

    static let all = [socket, json, noStart, quiet]

    var socketPath: String?
    var json: Bool
    var noStart: Bool
    var quiet: Bool

    init(_ arguments: ParsedArguments) {
        socketPath = arguments.value(Self.socket)
        json = arguments.flag(Self.json)
        noStart = arguments.flag(Self.noStart)
        quiet = arguments.flag(Self.quiet)
    }

    /// Client options for this invocation.
    func clientOptions(_ context: CommandContext, autoStart: Bool? = nil) -> DaemonClient.Options {
        var options = DaemonClient.Options(socketFlag: socketPath, environment: context.environment)
        options.autoStart = autoStart ?? !noStart
        return options
    }

    /// Calls `method` on `client`, turning failures into messages and exit
    /// codes (see `Failure.from` for `flagsByField`).
    func call<Method: RPCMethod>(
        _ client: DaemonClient, _ method: Method.Type, _ parameters: Method.Parameters, flagsByField: [FieldFlag] = []
    ) throws(CommandFailure) -> Method.Result {
        do {
            return try client.call(method, parameters)
        } catch {
            throw Failure.from(error, flagsByField: flagsByField)
        }
    }

    /// Connects, calls one method and closes the connection.
    func request<Method: RPCMethod>(
        _ method: Method.Type, _ parameters: Method.Parameters, context: CommandContext
    ) throws(CommandFailure) -> Method.Result {
        let client = try connect(context)
        defer { client.close() }
        return try call(client, method, parameters)
    }

    /// Connects, turning failures into messages and exit codes.
    func connect(_ context: CommandContext, autoStart: Bool? = nil) throws(CommandFailure) -> DaemonClient {
        do {
            return try DaemonClient.connect(clientOptions(context, autoStart: autoStart))
        } catch {
            throw Failure.from(error)
        }
    }
}
