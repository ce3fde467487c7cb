import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// `vcctl plugins [--reload]`: the plugin files the daemon found.
struct PluginsCommand: Command {
    static let configuration = CommandConfiguration(
        name: "plugins",
        abstract: "List the plugins the daemon found: name, version, hooks, or why a file was not loaded.",
        options: [
            Option(long: "reload", help: "Load plugin files added since the daemon started first."),
            Option(long: "enable", valueName: "NAME", help: "Turn a plugin back on that was disabled after a crash.", completion: .dynamic("plugins")),
        ]
    )

    let global: GlobalOptions
    let reload: Bool
    let enable: String?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        reload = arguments.flag("reload")
        enable = arguments.value("enable")
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        let list: PluginListResult
        if let enable {
            list = try global.call(client, PluginsEnable.self, .init(name: enable), flagsByField: [("name", "--enable")])
        } else if reload {
            list = try global.call(client, PluginsReload.self, NoParameters())
        } else {
            list = try global.call(client, PluginsList.self, NoParameters())
        }
        if global.json {
            context.stdout.write(Output.json(list.result, context: context))
            return .success
        }
        for plugin in list.plugins {
            if plugin.loaded {
                var line = "\(plugin.name) \(plugin.version ?? "")  \(plugin.hooks.joined(separator: ","))  \(plugin.description ?? "")"
                if let hung = plugin.hung { line += "  [hung: \(hung)]" }
                if let disabled = plugin.disabled { line += "  [disabled: \(disabled)]" }
                if let changed = plugin.changed { line += "  [\(changed)]" }
                context.stdout.write(TerminalText.visible(line) + "\n")
            } else {
                context.stdout.write(TerminalText.visible("\(plugin.name)  not loaded: \(plugin.error ?? "")") + "\n")
            }
        }
        if list.plugins.isEmpty {
            context.stderr.write("no plugins in \(TerminalText.visible(list.folders.joined(separator: ", ")))\n")
        }
        return .success
    }
}
