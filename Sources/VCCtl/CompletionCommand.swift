import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// `vcctl completion bash|zsh|fish`: the shell completion script, generated
/// from the same command tree that parses arguments.
struct CompletionCommand: Command {
    static let shellArgument = Argument(name: "SHELL", help: "bash, zsh or fish.", completion: .values(CompletionScript.Shell.allCases.map(\.rawValue)))
    static let name = "completion"
    static let configuration = CommandConfiguration(
        abstract: "Print the completion script for bash, zsh or fish.",
        discussion: "bash: vcctl completion bash > ~/.local/share/bash-completion/completions/vcctl. zsh: vcctl completion zsh > ~/.zfunc/_vcctl (with ~/.zfunc in fpath). fish: vcctl completion fish > ~/.config/fish/completions/vcctl.fish. Model, sampler and plugin names and job ids are completed from the running daemon (never started for it).",
        arguments: [Self.shellArgument]
    )

    let shell: CompletionScript.Shell

    init(_ arguments: ParsedArguments) throws {
        let name = arguments.argument(Self.shellArgument) ?? ""
        guard let shell = CompletionScript.Shell(rawValue: name) else {
            throw UsageError("SHELL must be bash, zsh or fish, not '\(name)'")
        }
        self.shell = shell
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        context.stdout.write(CompletionScript.script(for: VisionCraftControl.self, shell: shell))
        return .success
    }
}

/// `vcctl __complete KIND` (hidden): values for completion scripts, one per
/// line, from a daemon already running; nothing (and success) otherwise.
struct CompleteValuesCommand: Command {
    static let kindArgument = Argument(name: "KIND", help: "models, samplers, plugins, jobs or backends.")
    static let name = "__complete"
    static let configuration = CommandConfiguration(
        abstract: "Values for shell completion (models, samplers, plugins, jobs, backends).",
        arguments: [Self.kindArgument],
        hidden: true
    )

    let global: GlobalOptions
    let kind: String

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        kind = arguments.argument(Self.kindArgument) ?? ""
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        guard let client = try? global.connect(context, autoStart: false) else { return .success }
        defer { client.close() }
        let values: [String]
        switch kind {
        case "models": values = (try? client.call(ModelsList.self, .init()).names) ?? []
        case "samplers": values = (try? client.call(SamplersList.self, .init()).names) ?? []
        case "plugins": values = (try? client.call(PluginsList.self, NoParameters()).plugins.filter(\.loaded).map(\.name)) ?? []
        case "jobs": values = (try? client.call(JobList.self, .init(limit: 50)).jobs.map(\.id)) ?? []
        case "backends": values = (try? client.call(BackendsList.self, NoParameters()).backends.map(\.name)) ?? []
        default: values = []
        }
        // A shell shows these in its menu: no control may reach the terminal.
        context.stdout.write(values.map { TerminalText.visible($0) + "\n" }.joined())
        return .success
    }
}
