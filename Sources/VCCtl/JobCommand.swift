import CommandLineKit
import JSONRPC
import VisionCraftProtocol

/// What `vcctl get ID`, `vcctl cancel ID` and `vcctl retry ID` share: one
/// job by id, shown after the call (`--json`: the job object). Each is a
/// command type of its own, not one generic type: a generic command in the
/// tree costs every vcctl run a look-up of its conformances at start.
struct JobCommand {
    static let idArgument = Argument(name: "ID", help: "The job's id (as submit printed it).", completion: .dynamic("jobs"))

    /// The configuration of a command that takes a job id.
    static func configuration(abstract: String) -> CommandConfiguration {
        CommandConfiguration(abstract: abstract, arguments: [idArgument])
    }

    let global: GlobalOptions
    let id: String

    init(_ arguments: ParsedArguments) {
        global = GlobalOptions(arguments)
        id = arguments.argument(Self.idArgument) ?? ""
    }

    /// Calls `method` for the job and shows what it answers.
    func run<Method: RPCMethod>(_ method: Method.Type, _ context: CommandContext) throws -> ExitCode
    where Method.Parameters == JobIDParameters, Method.Result == JobInfo {
        let client = try global.connect(context)
        defer { client.close() }
        let job = try global.call(client, method, JobIDParameters(id: id))
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

/// `vcctl get ID`.
struct GetCommand: Command {
    static let name = "get"
    static let configuration = JobCommand.configuration(abstract: "Show a job: state, parameters, images and the last error.")
    let job: JobCommand
    init(_ arguments: ParsedArguments) { job = JobCommand(arguments) }
    func run(_ context: CommandContext) throws -> ExitCode { try job.run(JobGet.self, context) }
}

/// `vcctl cancel ID`.
struct CancelCommand: Command {
    static let name = "cancel"
    static let configuration = JobCommand.configuration(abstract: "Cancel a queued or running job (saved images are kept).")
    let job: JobCommand
    init(_ arguments: ParsedArguments) { job = JobCommand(arguments) }
    func run(_ context: CommandContext) throws -> ExitCode { try job.run(JobCancel.self, context) }
}

/// `vcctl retry ID`.
struct RetryCommand: Command {
    static let name = "retry"
    static let configuration = JobCommand.configuration(abstract: "Queue a failed or cancelled job again (only its missing images are made).")
    let job: JobCommand
    init(_ arguments: ParsedArguments) { job = JobCommand(arguments) }
    func run(_ context: CommandContext) throws -> ExitCode { try job.run(JobRetry.self, context) }
}
