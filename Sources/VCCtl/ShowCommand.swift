import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// `vcctl show ID`: a job's images previewed in the terminal.
struct ShowCommand: Command {
    static let configuration = CommandConfiguration(
        name: "show",
        abstract: "Preview a job's images in the terminal (kitty graphics or sixel when it supports them; else print the paths).",
        arguments: [Argument(name: "ID", help: "The job.", completion: .dynamic("jobs"))]
    )

    let global: GlobalOptions
    let id: String

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        id = arguments.argument("ID") ?? ""
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        let job = try global.call(client, JobGet.self, JobIDParameters(id: id))
        context.stdout.write(job.images.compactMap(\.path).map { $0 + "\n" }.joined())
        return .success
    }
}
