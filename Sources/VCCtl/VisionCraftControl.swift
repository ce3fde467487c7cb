import CommandLineKit
import Posix
import VisionCraftProtocol

/// `vcctl`: the command line for people and scripts.
package struct VisionCraftControl: Command {
    package static let name = "vcctl"
    package static let configuration = CommandConfiguration(
        abstract: "Control the VisionCraft daemon.",
        discussion: "Talks to visioncraftd over its Unix socket and starts it when none answers. Standard output carries only data; messages go to standard error.",
        options: GlobalOptions.all,
        subcommands: [
            SubmitCommand.self, WaitCommand.self, WatchCommand.self, GetCommand.self, ListCommand.self, CancelCommand.self,
            RetryCommand.self, RerunCommand.self, OpenCommand.self, ShowCommand.self, HistoryCommand.self, ModelsCommand.self, SamplersCommand.self, BackendsCommand.self, UsageCommand.self, PluginsCommand.self, KeyCommand.self,
            ConfigCommand.self, MCPCommand.self, StatusCommand.self, RPCCommand.self, DaemonCommand.self, CompletionCommand.self, CompleteValuesCommand.self,
        ]
    )

    package init(_ arguments: ParsedArguments) throws {}

    package func run(_ context: CommandContext) throws -> ExitCode {
        .usage
    }

    /// Runs vcctl with `arguments` (argv without argv[0]) and returns the exit code.
    package static func main(_ arguments: [String]) -> ExitCode {
        Signals.ignoreBrokenPipe()
        let context = CommandContext.standard()
        return CommandLineTool.main(Self.self, arguments: arguments, context: context, version: VisionCraftVersion.current)
    }
}
