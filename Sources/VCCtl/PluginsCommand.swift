import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// `vcctl plugins [--reload]`: the plugin files the daemon found, each
/// loaded one with the options its steps take.
struct PluginsCommand: Command {
    static let reloadOption = Option(long: "reload", help: "Load plugin files added since the daemon started first.")
    static let enableOption = Option(long: "enable", valueName: "NAME", help: "Turn a plugin back on that was disabled after a crash.", completion: .dynamic("plugins"))
    static let name = "plugins"
    static let configuration = CommandConfiguration(
        abstract: "List the plugins the daemon found: name, version, hooks and the options each takes, or why a file was not loaded.",
        options: [
            Self.reloadOption,
            Self.enableOption,
        ]
    )

    let global: GlobalOptions
    let reload: Bool
    let enable: String?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        reload = arguments.flag(Self.reloadOption)
        enable = arguments.value(Self.enableOption)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        let list: PluginListResult
        if let enable {
            list = try global.call(client, PluginsEnable.self, .init(name: enable), flagsByField: [FieldFlag(field: "name", flag: "--enable")])
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
                for option in plugin.options ?? [] { context.stdout.write(TerminalText.visible(Self.line(option)) + "\n") }
            } else {
                context.stdout.write(TerminalText.visible("\(plugin.name)  not loaded: \(plugin.error ?? "")") + "\n")
            }
        }
        if list.plugins.isEmpty {
            context.stderr.write("no plugins in \(TerminalText.visible(list.folders.joined(separator: ", ")))\n")
        }
        return .success
    }

    /// `    scale  integer 2 to 4  2, 3 or 4; default 2`: what `--plugin
    /// NAME:KEY=VALUE` accepts, under its plugin.
    static func line(_ option: PluginOptionInfo) -> String {
        func number(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value) }
        var kind = option.type
        if let choices = option.choices {
            kind += " " + choices.joined(separator: "|")
        } else {
            let unit = option.type == "string" ? " bytes" : ""
            switch (option.minimum, option.maximum) {
            case (let low?, let high?): kind += " \(number(low)) to \(number(high))\(unit)"
            case (let low?, nil): kind += " at least \(number(low))\(unit)"
            case (nil, let high?): kind += " at most \(number(high))\(unit)"
            case (nil, nil): break
            }
        }
        if option.required { kind += ", required" }
        return "    \(option.name)  \(kind)" + (option.description.map { "  \($0)" } ?? "")
    }
}
