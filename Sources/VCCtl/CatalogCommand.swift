import CommandLineKit
import JSONRPC
import JSON
import VisionCraftProtocol

/// What `vcctl models` and `vcctl samplers` share: a backend's names, one
/// per line. Each is a command type of its own (see `JobCommand`).
struct CatalogCommand {
    static let refreshOption = Option(long: "refresh", help: "Ask the backend again instead of using the daemon's cache.")
    static let backendOption = Option(
        long: "backend", valueName: "NAME", help: "A backend from 'vcctl backends' (default: the daemon's default).", completion: .dynamic("backends")
    )

    /// The configuration of the command listing `list` ("models").
    static func configuration(listing list: String) -> CommandConfiguration {
        CommandConfiguration(abstract: "List a backend's \(list), one per line.", options: [refreshOption, backendOption])
    }

    let global: GlobalOptions
    let refresh: Bool
    let backend: String?

    init(_ arguments: ParsedArguments) {
        global = GlobalOptions(arguments)
        refresh = arguments.flag(Self.refreshOption)
        backend = arguments.value(Self.backendOption)
    }

    /// Calls `method` and prints the names.
    func run<Method: RPCMethod>(_ method: Method.Type, _ context: CommandContext) throws -> ExitCode
    where Method.Parameters == CatalogListParameters, Method.Result == CatalogListResult {
        let client = try global.connect(context)
        defer { client.close() }
        let list = try global.call(client, method, CatalogListParameters(refresh: refresh, backend: backend))
        if global.json {
            context.stdout.write(Output.json(.array(list.names.map(JSON.string)), context: context))
        } else {
            context.stdout.write(list.names.map { TerminalText.visible($0) + "\n" }.joined())
        }
        return .success
    }
}

/// `vcctl models`.
struct ModelsCommand: Command {
    static let name = "models"
    static let configuration = CatalogCommand.configuration(listing: name)
    let catalog: CatalogCommand
    init(_ arguments: ParsedArguments) { catalog = CatalogCommand(arguments) }
    func run(_ context: CommandContext) throws -> ExitCode { try catalog.run(ModelsList.self, context) }
}

/// `vcctl samplers`.
struct SamplersCommand: Command {
    static let name = "samplers"
    static let configuration = CatalogCommand.configuration(listing: name)
    let catalog: CatalogCommand
    init(_ arguments: ParsedArguments) { catalog = CatalogCommand(arguments) }
    func run(_ context: CommandContext) throws -> ExitCode { try catalog.run(SamplersList.self, context) }
}
