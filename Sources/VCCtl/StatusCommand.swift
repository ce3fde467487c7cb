import CommandLineKit
import JSON
import JSONRPC
import VisionCraftProtocol

/// `vcctl status`: the daemon's version, pid, uptime, socket, connections and upstream.
struct StatusCommand: Command {
    static let configuration = CommandConfiguration(
        name: "status",
        abstract: "Show the daemon's version, process id, uptime, socket, connections and upstream."
    )

    let global: GlobalOptions

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        let status = try global.call(client, DaemonStatus.self, NoParameters())
        if global.json {
            context.stdout.write(Output.json(status.result, context: context))
            return .success
        }
        context.stdout.write(
            """
            visioncraftd \(status.version)
              pid          \(status.pid)
              uptime       \(Output.duration(seconds: status.uptimeSeconds))
              started      \(status.startedAt)
              socket       \(status.socket)
              connections  \(status.connections)

            """
        )
        if let upstream = status.upstream {
            context.stdout.write("  upstream     \(upstream.url)\(upstream.emulator ? " (embedded emulator)" : "")\n")
        }
        return .success
    }
}
