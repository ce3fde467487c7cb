import CommandLineKit
import JSONRPC
import JSON
import VisionCraftProtocol

/// `vcctl models` and `vcctl samplers`: the upstream's names, one per line.
struct CatalogCommand<List: CatalogKind>: Command {
    static var refreshOption: Option { Option(long: "refresh", help: "Ask the backend again instead of using the daemon's cache.") }
    static var backendOption: Option {
        Option(long: "backend", valueName: "NAME", help: "A backend from 'vcctl backends' (default: the daemon's default).", completion: .dynamic("backends"))
    }
    static var configuration: CommandConfiguration {
        CommandConfiguration(name: List.name, abstract: "List a backend's \(List.name), one per line.", options: [refreshOption, backendOption])
    }

    let global: GlobalOptions
    let refresh: Bool
    let backend: String?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        refresh = arguments.flag(Self.refreshOption)
        backend = arguments.value(Self.backendOption)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        let list = try global.call(client, List.Method.self, CatalogListParameters(refresh: refresh, backend: backend))
        if global.json {
            context.stdout.write(Output.json(.array(list.names.map(JSON.string)), context: context))
        } else {
            context.stdout.write(list.names.map { TerminalText.visible($0) + "\n" }.joined())
        }
        return .success
    }
}

/// Which list a `CatalogCommand` shows.
protocol CatalogKind {
    associatedtype Method: RPCMethod where Method.Parameters == CatalogListParameters, Method.Result == CatalogListResult
    static var name: String { get }
}

enum ModelsKind: CatalogKind {
    typealias Method = ModelsList
    static let name = "models"
}

enum SamplersKind: CatalogKind {
    typealias Method = SamplersList
    static let name = "samplers"
}
