import Client
import CommandLineKit
import Configuration
import JSON
import JSONRPC
import NameMatching
import Posix
import VisionCraftProtocol

/// `vcctl config path|get|set|keys`: the configuration file
/// (visioncraft.conf(5)).
struct ConfigCommand: Command {
    static let name = "config"
    static let configuration = CommandConfiguration(
        abstract: "Show or change the configuration file (see visioncraft.conf(5)).",
        discussion: "The file is $XDG_CONFIG_HOME/visioncraft/config.toml, else ~/.config/visioncraft/config.toml. A running daemon reloads it after config set.",
        subcommands: [Path.self, Get.self, Set.self, Keys.self]
    )

    init(_ arguments: ParsedArguments) throws {}

    func run(_ context: CommandContext) throws -> ExitCode { .usage }

    /// The file, or a failure when neither XDG_CONFIG_HOME nor HOME says where.
    /// A value as the file writes it (TOML: `"text"`, `2`, `true`, `["a"]`)
    /// as JSON: the same value, or the text itself when it is none of those.
    static func jsonValue(_ written: String) -> JSON {
        (try? JSONParser.parse(written)) ?? .string(written)
    }

    static func path(_ context: CommandContext) throws(CommandFailure) -> String {
        guard let path = SettingsFile.defaultPath(environment: { context.environment[$0] }) else {
            throw CommandFailure("neither XDG_CONFIG_HOME nor HOME is set to an absolute path: there is no configuration file", exitCode: .config)
        }
        return path
    }

    /// The settings in the file (the defaults when there is none).
    static func settings(_ context: CommandContext) throws(CommandFailure) -> Settings {
        try settingsAndFile(context).settings
    }

    /// The settings and the file they came from (nil: there is none).
    static func settingsAndFile(_ context: CommandContext) throws(CommandFailure) -> (settings: Settings, file: ConfigFile?) {
        let path = try path(context)
        do {
            return try SettingsFile.loadWithFile(path)
        } catch {
            throw CommandFailure(error.description, exitCode: .config, hint: "fix that line, or vcctl config set KEY VALUE")
        }
    }

    /// The key named on the command line, or a usage error suggesting one.
    static func key(_ name: String) throws -> ConfigKey {
        if let key = ConfigKey(named: name) { return key }
        let names = Settings.keys.map(\.name)
        let hint = Suggestions.closest(to: name, in: names).map { "did you mean \($0)? " } ?? ""
        throw UsageError("unknown key '\(name)': \(hint)vcctl config keys lists them")
    }

    /// `vcctl config path`.
    struct Path: Command {
        static let name = "path"
        static let configuration = CommandConfiguration(
            abstract: "Print where the configuration file is (it may not exist yet); --json: {\"path\": ..., \"exists\": ...}."
        )

        let global: GlobalOptions

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let path = try ConfigCommand.path(context)
            if global.json {
                let exists = ((try? FileSystem.status(path)) ?? nil) != nil
                context.stdout.write(Output.json(["path": .string(path), "exists": .bool(exists)], context: context))
            } else {
                context.stdout.write(TerminalText.visible(path) + "\n")
            }
            return .success
        }
    }

    /// `vcctl config get [KEY]`: a key the file sets prints its value; one
    /// it leaves unset prints nothing (its default on standard error), and
    /// `--json` says null, never the default as if it were set.
    struct Get: Command {
        static let keyArgument = Argument(name: "KEY", help: "A key such as jobs.model.", optional: true, completion: .values(Settings.keys.map(\.name)))
        static let name = "get"
        static let configuration = CommandConfiguration(
            abstract: "Print a key's value as the file writes it (nothing, and the default on stderr, when the file does not set it), or every key as 'key = value' lines, unset ones as comments.",
            discussion: "--json: an object of each key asked for: {\"value\": the value or null, \"source\": \"file\" or \"default\", \"line\": its line in the file, \"default\": the default as a value, or in words where it depends on something (jobs.steps)}.",
            arguments: [Self.keyArgument]
        )

        let global: GlobalOptions
        let key: ConfigKey?

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            key = try arguments.argument(Self.keyArgument).map(ConfigCommand.key)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let path = try ConfigCommand.path(context)
            let (settings, file) = try ConfigCommand.settingsAndFile(context)
            let keys = key.map { [$0] } ?? Settings.keys.map(ConfigKey.init)
            /// The value the file sets for `key` and its line; nil when the file does not set it.
            func fromFile(_ key: ConfigKey) -> (value: String, line: Int)? {
                guard let entry = file?.entry(key.name) else { return nil }
                // A backend's key as the file writes it; a setting as it reads.
                guard let value = key.setting == nil ? entry.value.description : settings.value(of: key.name) else { return nil }
                return (value, entry.line)
            }
            if global.json {
                var object = JSONObject()
                for key in keys {
                    var described: JSONObject = ["default": ConfigCommand.jsonValue(key.defaultText)]
                    if let (value, line) = fromFile(key) {
                        described["value"] = ConfigCommand.jsonValue(value)
                        described["source"] = "file"
                        described["line"] = .number(JSONNumber(line))
                    } else {
                        described["value"] = .null
                        described["source"] = "default"
                    }
                    object[key.name] = .object(described)
                }
                context.stdout.write(Output.json(.object(object), context: context))
            } else if let key {
                if let (value, _) = fromFile(key) {
                    context.stdout.write(TerminalText.visible(value) + "\n")
                } else {
                    context.stderr.write("\(key.name) is not set in \(TerminalText.visible(path)) (default: \(key.defaultText))\n")
                }
            } else {
                let header = file == nil ? "\(path) does not exist: every key has its default" : path
                context.stdout.write("# \(TerminalText.visible(header))\n" + keys.map { key in
                    guard let (value, line) = fromFile(key) else { return "# \(key.name) is not set (default: \(key.defaultText))\n" }
                    return "\(key.name) = \(TerminalText.visible(value))  # line \(line)\n"
                }.joined())
            }
            return .success
        }
    }

    /// `vcctl config set KEY VALUE`.
    struct Set: Command {
        static let keyArgument = Argument(name: "KEY", help: "A key such as jobs.model (vcctl config keys lists them).", completion: .values(Settings.keys.map(\.name)))
        static let valueArgument = Argument(name: "VALUE", help: "The new value.")
        static let name = "set"
        static let configuration = CommandConfiguration(
            abstract: "Set a key in the file (other lines and comments are kept), then have a running daemon reload it.",
            discussion: "VALUE as the file writes it: \"text\" (quotes optional for text), 3, 2.5, true, [\"a\", \"b\"]. jobs.model and jobs.sampler are checked against a running daemon's lists (written as the list spells them; an unknown name exits 64), or written unchecked when no daemon answers.",
            arguments: [
                Self.keyArgument,
                Self.valueArgument,
            ]
        )

        let global: GlobalOptions
        let key: ConfigKey
        let value: String

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
            key = try ConfigCommand.key(arguments.argument(Self.keyArgument) ?? "")
            value = arguments.argument(Self.valueArgument) ?? ""
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            let path = try ConfigCommand.path(context)
            func failure(_ error: ConfigError) -> CommandFailure {
                CommandFailure("\(key.name): \(error.message)", exitCode: .usage, hint: "vcctl config keys shows what each key takes")
            }
            if key.setting == nil {
                // A backend's key: its section must be there, with its kind and url.
                let (_, file) = try ConfigCommand.settingsAndFile(context)
                guard file?.entries.contains(where: { $0.section == key.section }) == true else {
                    throw CommandFailure(
                        "\(key.name): \(TerminalText.visible(path)) has no [\(key.section)] section", exitCode: .usage,
                        hint: "add it with its kind and url first (visioncraft.conf(5), \"Backends\")"
                    )
                }
            }
            // A daemon that is running, never one started for this.
            let client = try? DaemonClient.connect(global.clientOptions(context, autoStart: false))
            defer { client?.close() }
            let written = try checkedValue(client, context)
            do {
                try SettingsFile.set(key.name, to: written, in: path)
            } catch {
                // Text without quotes: quote it, so `config set jobs.model flux` works.
                guard Self.isBare(written) else { throw failure(error) }
                do {
                    try SettingsFile.set(key.name, to: ConfigFile.quote(written), in: path)
                } catch let quoted {
                    throw failure(error.message.contains("double quotes") ? quoted : error)
                }
            }
            if let client { reloadRunningDaemon(client, context) }
            return .success
        }

        /// A value with no quotes or brackets, which may be meant as text.
        static func isBare(_ value: String) -> Bool {
            !value.hasPrefix("\"") && !value.hasPrefix("[")
        }

        /// Asks the running daemon to reload, and says what needs a restart.
        private func reloadRunningDaemon(_ client: DaemonClient, _ context: CommandContext) {
            do {
                let report = try global.call(client, DaemonReload.self, NoParameters())
                if !report.restartNeeded.isEmpty {
                    context.stderr.write("the daemon applies \(report.restartNeeded.joined(separator: ", ")) after a restart: vcctl daemon restart\n")
                }
            } catch {
                context.stderr.write("the daemon did not reload: \(TerminalText.visible(error.message))\n")
            }
        }
    }

    /// `vcctl config keys`.
    struct Keys: Command {
        static let name = "keys"
        static let configuration = CommandConfiguration(abstract: "List every key with what it takes and its default.")

        let global: GlobalOptions

        init(_ arguments: ParsedArguments) throws {
            global = GlobalOptions(arguments)
        }

        func run(_ context: CommandContext) throws -> ExitCode {
            if global.json {
                let rows = Settings.keys.map { key -> JSON in
                    ["key": .string(key.name), "summary": .string(key.summary + key.kind.rangeText), "default": ConfigCommand.jsonValue(key.defaultText)]
                }
                context.stdout.write(Output.json(.array(rows), context: context))
                return .success
            }
            let width = (Settings.keys.map(\.name.count) + ConfigKey.backendKeyForms.map(\.name.count)).max() ?? 0
            func padding(_ name: String) -> String { String(repeating: " ", count: width - name.count) }
            for key in Settings.keys {
                context.stdout.write("\(key.name)\(padding(key.name))  \(key.summary)\(key.kind.rangeText) (default: \(key.defaultText))\n")
            }
            // Each backend's section, NAME its name (visioncraft.conf(5)).
            for (name, summary) in ConfigKey.backendKeyForms {
                context.stdout.write("\(name)\(padding(name))  \(summary)\n")
            }
            return .success
        }
    }
}
