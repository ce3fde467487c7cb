import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// `vcctl get ID`, `vcctl cancel ID`, `vcctl retry ID`: one job by id, shown
/// after the call (`--json`: the job object).
struct JobCommand<Action: JobAction>: Command {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            name: Action.name,
            abstract: Action.abstract,
            arguments: [idArgument]
        )
    }
    static var idArgument: Argument { Argument(name: "ID", help: "The job's id (as submit printed it).", completion: .dynamic("jobs")) }

    let global: GlobalOptions
    let id: String

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        id = arguments.argument(Self.idArgument) ?? ""
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let client = try global.connect(context)
        defer { client.close() }
        let job = try global.call(client, Action.Method.self, JobIDParameters(id: id))
        if global.json {
            context.stdout.write(Output.json(job.result, context: context))
        } else if global.quiet {
            context.stdout.write(job.images.compactMap(\.path).map { TerminalText.visible($0) + "\n" }.joined())
        } else {
            context.stdout.write(JobDescription.detailed(job, colour: Output.colours(context)))
        }
        return .success
    }
}

/// What a `JobCommand` does.
protocol JobAction {
    associatedtype Method: RPCMethod where Method.Parameters == JobIDParameters, Method.Result == JobInfo
    static var name: String { get }
    static var abstract: String { get }
}

enum GetAction: JobAction {
    typealias Method = JobGet
    static let name = "get"
    static let abstract = "Show a job: state, parameters, images and the last error."
}

enum CancelAction: JobAction {
    typealias Method = JobCancel
    static let name = "cancel"
    static let abstract = "Cancel a queued or running job (saved images are kept)."
}

enum RetryAction: JobAction {
    typealias Method = JobRetry
    static let name = "retry"
    static let abstract = "Queue a failed or cancelled job again (only its missing images are made)."
}
