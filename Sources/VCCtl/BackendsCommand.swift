import CommandLineKit
import JSON
import JSONRPC
import VisionCraftProtocol

/// `vcctl backends`: every backend the daemon runs jobs on, with its queue,
/// its key and how it has been doing.
struct BackendsCommand: Command {
    static let name = "backends"
    static let configuration = CommandConfiguration(
        abstract: "List the backends jobs run on: name, kind, URL, key, queue, limits and health.",
        discussion: "The default backend is marked '*'. config.toml names backends in [backends.NAME] sections; with none, the daemon runs one, 'visioncraft'."
    )

    let global: GlobalOptions

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let list = try global.request(BackendsList.self, NoParameters(), context: context)
        if global.json {
            context.stdout.write(Output.json(list.result, context: context))
            return .success
        }
        var text = ""
        for backend in list.backends {
            let name = TerminalText.visible(backend.name)
            text += "\(backend.isDefault ? "*" : " ") \(name)  \(TerminalText.visible(backend.kind))  \(TerminalText.visible(backend.url))"
            text += backend.emulator ? " (embedded emulator)\n" : "\n"
            text += "  key          \(TerminalText.visible(backend.key))\n"
            text += "  queue        \(backend.queued) queued, \(backend.running) running (at most \(backend.maxInFlight) at once"
            text += backend.requestsPerMinute > 0 ? ", \(backend.requestsPerMinute) a minute)\n" : ")\n"
            text += "  today        \(backend.imagesToday) image(s)" + (backend.dailyImages.map { " of at most \($0)" } ?? "")
            text += (backend.monthlyImages.map { ", at most \($0) a month" } ?? "") + "\n"
            text += StatusCommand.lines(backend.health)
        }
        context.stdout.write(text)
        return .success
    }
}
