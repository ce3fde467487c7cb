import CommandLineKit
import JSON
import JSONRPC
import VisionCraftProtocol

/// `vcctl status`: the daemon's version, pid, uptime, socket, connections,
/// and the upstream with its health.
struct StatusCommand: Command {
    static let name = "status"
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's version, process id, uptime, socket, connections and upstream.",
        discussion: "The upstream's health: its last answered generation, its last failure with the reason, a rate-limit pause in force and when the next job tries again."
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
            visioncraftd \(TerminalText.visible(status.version))
              pid          \(status.pid)
              uptime       \(Output.duration(seconds: status.uptimeSeconds))
              started      \(TerminalText.visible(status.startedAt))
              socket       \(TerminalText.visible(status.socket))
              connections  \(status.connections)

            """
        )
        if let upstream = status.upstream {
            context.stdout.write("  upstream     \(TerminalText.visible(upstream.url))\(upstream.emulator ? " (embedded emulator)" : "")\n")
            if let health = upstream.health { context.stdout.write(Self.lines(health)) }
        }
        return .success
    }

    /// The health lines: what a user whose jobs stopped moving needs first.
    static func lines(_ health: DaemonStatus.Health) -> String {
        var text = "  last success \(health.lastSuccessAt ?? "none since the start")\n"
        if let at = health.lastFailureAt {
            text += "  last failure \(at) \(health.lastFailureKind.map(\.rawValue) ?? ""): \(TerminalText.visible(health.lastFailureMessage ?? ""))\n"
        }
        if let until = health.pausedUntil {
            text += "  paused until \(until): \(TerminalText.visible(health.pauseReason ?? ""))\n"
        }
        if let next = health.nextAttemptAt {
            text += "  next attempt \(next)\n"
        }
        return text
    }
}
